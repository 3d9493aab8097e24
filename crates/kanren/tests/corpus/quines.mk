;; Quines and twines from the relational interpreter.
;; include: quines.mk
(run 3 (q) (meaningo q '() q))
(run 1 (x y) (=/= x y) (meaningo x '() y) (meaningo y '() x))
(run* (q) (meaningo '((lambda (x) (list x x)) (quote a)) '() q))
(run 3 (q) (meaningo q '() '(1 2)))
