;; A lambda-calculus interpreter run backwards.
(defrel (evalo expr value)
  (meaningo expr '() value))

(defrel (meaningo expr rho value)
  (conde
    ((fresh (fun arg x body rho^ arg-value)
       (== `(,fun ,arg) expr)
       (meaningo fun rho `(closure ,x ,body ,rho^))
       (meaningo arg rho arg-value)
       (meaningo body `((,x . ,arg-value) . ,rho^) value)))
    ((fresh (x body)
       (== `(lambda (,x) ,body) expr)
       (symbolo x)
       (== `(closure ,x ,body ,rho) value)
       (unboundo 'lambda rho)))
    ((symbolo expr) (looked-upo expr rho value))))

(defrel (unboundo x rho)
  (conde
    ((== '() rho))
    ((fresh (name bound more)
       (== `((,name . ,bound) . ,more) rho)
       (=/= name x)
       (unboundo x more)))))

(defrel (looked-upo x rho found)
  (conde
    ((fresh (name bound more)
       (== `((,name . ,bound) . ,more) rho) (== name x)
       (== bound found)))
    ((fresh (name bound more)
       (== `((,name . ,bound) . ,more) rho) (=/= name x)
       (looked-upo x more found)))))

(run 5 (q) (evalo q '(closure y x ((x . (closure z z ()))))))
(run* (q) (evalo '(((lambda (x) (lambda (y) x)) (lambda (z) z)) (lambda (a) a)) q))
(run 5 (q) (fresh (e v) (evalo e v) (== `(,e ==> ,v) q)))
