;; The Reasoned Schemer's binary arithmetic.
;; Binary arithmetic on little-endian bit lists, after The Reasoned Schemer (2nd ed.),
;; chapters 7 and 8. `()` is zero, `(1)` is one, `(0 1)` is two, `(1 1)` three; a number
;; never ends in 0.

(defrel (full-addero b x y r c)
  (conde
    ((== 0 b) (== 0 x) (== 0 y) (== 0 r) (== 0 c))
    ((== 1 b) (== 0 x) (== 0 y) (== 1 r) (== 0 c))
    ((== 0 b) (== 1 x) (== 0 y) (== 1 r) (== 0 c))
    ((== 1 b) (== 1 x) (== 0 y) (== 0 r) (== 1 c))
    ((== 0 b) (== 0 x) (== 1 y) (== 1 r) (== 0 c))
    ((== 1 b) (== 0 x) (== 1 y) (== 0 r) (== 1 c))
    ((== 0 b) (== 1 x) (== 1 y) (== 0 r) (== 1 c))
    ((== 1 b) (== 1 x) (== 1 y) (== 1 r) (== 1 c))))

;; n is positive: a non-empty list.
(defrel (poso n)
  (fresh (a d)
    (== `(,a . ,d) n)))

;; n is at least two: two or more bits.
(defrel (>1o n)
  (fresh (a ad dd)
    (== `(,a ,ad . ,dd) n)))

;; n + m + carry d = r.
(defrel (addero d n m r)
  (conde
    ((== 0 d) (== '() m) (== n r))
    ((== 0 d) (== '() n) (== m r) (poso m))
    ((== 1 d) (== '() m) (addero 0 n '(1) r))
    ((== 1 d) (== '() n) (poso m) (addero 0 '(1) m r))
    ((== '(1) n) (== '(1) m)
     (fresh (a c)
       (== `(,a ,c) r)
       (full-addero d 1 1 a c)))
    ((== '(1) n) (gen-addero d n m r))
    ((== '(1) m) (>1o n) (>1o r) (addero d '(1) n r))
    ((>1o n) (gen-addero d n m r))))

(defrel (gen-addero d n m r)
  (fresh (a b c e x y z)
    (== `(,a . ,x) n)
    (== `(,b . ,y) m) (poso y)
    (== `(,c . ,z) r) (poso z)
    (full-addero d a b c e)
    (addero e x y z)))

(defrel (pluso n m k) (addero 0 n m k))

(defrel (minuso n m k) (pluso m k n))

(defrel (*o n m p)
  (conde
    ((== '() n) (== '() p))
    ((poso n) (== '() m) (== '() p))
    ((== '(1) n) (poso m) (== m p))
    ((>1o n) (== '(1) m) (== n p))
    ((fresh (x z)
       (== `(0 . ,x) n) (poso x)
       (== `(0 . ,z) p) (poso z)
       (>1o m)
       (*o x m z)))
    ((fresh (x y)
       (== `(1 . ,x) n) (poso x)
       (== `(0 . ,y) m) (poso y)
       (*o m n p)))
    ((fresh (x y)
       (== `(1 . ,x) n) (poso x)
       (== `(1 . ,y) m) (poso y)
       (odd-*o x n m p)))))

(defrel (odd-*o x n m p)
  (fresh (q)
    (bound-*o q p n m)
    (*o x m q)
    (pluso `(0 . ,q) m p)))

;; Keeps *o finite: the product has no more bits than n and m together.
(defrel (bound-*o q p n m)
  (conde
    ((== '() q) (poso p))
    ((fresh (a0 a1 a2 a3 x y z)
       (== `(,a0 . ,x) q)
       (== `(,a1 . ,y) p)
       (conde
         ((== '() n)
          (== `(,a2 . ,z) m)
          (bound-*o x y z '()))
         ((== `(,a3 . ,z) n)
          (bound-*o x y z m)))))))

;; n and m have the same number of bits.
(defrel (=lo n m)
  (conde
    ((== '() n) (== '() m))
    ((== '(1) n) (== '(1) m))
    ((fresh (a x b y)
       (== `(,a . ,x) n) (poso x)
       (== `(,b . ,y) m) (poso y)
       (=lo x y)))))

;; n has fewer bits than m.
(defrel (<lo n m)
  (conde
    ((== '() n) (poso m))
    ((== '(1) n) (>1o m))
    ((fresh (a x b y)
       (== `(,a . ,x) n) (poso x)
       (== `(,b . ,y) m) (poso y)
       (<lo x y)))))

(defrel (<o n m)
  (conde
    ((<lo n m))
    ((=lo n m)
     (fresh (x)
       (poso x)
       (pluso n x m)))))

;; n = m q + r with r < m.
(defrel (/o n m q r)
  (conde
    ((== '() q) (== n r) (<o n m))
    ((== '(1) q) (=lo m n) (pluso r m n) (<o r m))
    ((poso q) (<lo m n) (<o r m) (n-wider-than-mo n m q r))))

(defrel (n-wider-than-mo n m q r)
  (fresh (nhigh nlow qhigh qlow mqlow mrqlow rr rhigh)
    (splito n r nlow nhigh)
    (splito q r qlow qhigh)
    (conde
      ((== '() nhigh) (== '() qhigh)
       (minuso nlow r mqlow)
       (*o m qlow mqlow))
      ((poso nhigh)
       (*o m qlow mqlow)
       (pluso r mqlow mrqlow)
       (minuso mrqlow nlow rr)
       (splito rr r '() rhigh)
       (/o nhigh m qhigh rhigh)))))

;; Splits n at the length of r into its low bits l and high bits h.
(defrel (splito n r l h)
  (conde
    ((== '() n) (== '() h) (== '() l))
    ((fresh (b n^)
       (== `(0 ,b . ,n^) n) (== '() r)
       (== `(,b . ,n^) h) (== '() l)))
    ((fresh (n^)
       (== `(1 . ,n^) n) (== '() r)
       (== n^ h) (== '(1) l)))
    ((fresh (b n^ a r^)
       (== `(0 ,b . ,n^) n)
       (== `(,a . ,r^) r) (== '() l)
       (splito `(,b . ,n^) r^ '() h)))
    ((fresh (n^ a r^)
       (== `(1 . ,n^) n)
       (== `(,a . ,r^) r) (== '(1) l)
       (splito n^ r^ '() h)))
    ((fresh (b n^ a r^ l^)
       (== `(,b . ,n^) n)
       (== `(,a . ,r^) r)
       (== `(,b . ,l^) l) (poso l^)
       (splito n^ r^ l^ h)))))
(run* (x y) (pluso x y '(1 0 1)))
(run* (q) (pluso '(1 1) '(1 0 1) q))
(run* (q) (minuso '(0 0 0 1) '(1 1) q))
(run* (p q) (*o p q '(0 0 1 1 1 1)))
(run* (q r) (/o '(0 0 1 0 0 1 1) '(1 1 1) q r))
(run 10 (x y z) (pluso x y z))
(run 6 (x y z) (*o x y z))
(run* (q) (*o '(1 1 1) '(1 0 1 1) q))
(run 3 (q r) (/o q '(1 1) '(0 1) r))
