;; appendo and membero, forwards and backwards.
;; include: appendo.mk
;; include: membero.mk
(run* (q) (appendo '(1 2) '(3 4) q))
(run* (q) (appendo q '(3 4) '(1 2 3 4)))
(run* (x y) (appendo x y '(1 2 3)))
(run 5 (x y z) (appendo x y z))
(run 3 (x y) (appendo x '(b) `(a . ,y)))
(run* (q) (membero q '(a b c)))
(run* (q) (membero 'b '(a b c b)))
(run 3 (q) (membero 'x q))
(run* (q) (membero q '()))
(run* (q) (fresh (x) (membero x '(1 2 3)) (=/= x 2) (== q x)))
