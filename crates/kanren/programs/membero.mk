(defrel (membero x l)
  (fresh (a d)
    (== `(,a . ,d) l)
    (conde
      ((== a x))
      ((membero x d)))))
