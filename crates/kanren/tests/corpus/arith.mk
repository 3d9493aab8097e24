;; The Reasoned Schemer's binary arithmetic.
;; include: arith.mk
(run* (x y) (pluso x y '(1 0 1)))
(run* (q) (pluso '(1 1) '(1 0 1) q))
(run* (q) (minuso '(0 0 0 1) '(1 1) q))
(run* (p q) (*o p q '(0 0 1 1 1 1)))
(run* (q r) (/o '(0 0 1 0 0 1 1) '(1 1 1) q r))
(run 10 (x y z) (pluso x y z))
(run 6 (x y z) (*o x y z))
(run* (q) (*o '(1 1 1) '(1 0 1 1) q))
(run 3 (q r) (/o q '(1 1) '(0 1) r))
