;; Quines and twines from the relational interpreter.
;; A relational interpreter for a tiny Lisp (quote, list, lambda, one-argument application,
;; variables), after the one in Byrd, Holk & Friedman, "miniKanren, Live and Untagged" (2012).
;; The clause and conjunct order follows the paper, so answers come in the order
;; faster-miniKanren gives them; `meaningo` relates an expression, an environment `rho`
;; (an association list) and its value; closures are `(closure x body rho)`.
(defrel (meaningo expr rho value)
  (conde
    ((fresh (bound)
       (== `(quote ,bound) expr)
       (unboundo 'quote rho)
       (absento 'closure bound)
       (== bound value)))
    ((fresh (items)
       (== `(list . ,items) expr)
       (unboundo 'list rho)
       (absento 'closure items)
       (meaning-of-listo items rho value)))
    ((symbolo expr) (looked-upo expr rho value))
    ((fresh (fun arg x body rho^ arg-value)
       (== `(,fun ,arg) expr)
       (meaningo fun rho `(closure ,x ,body ,rho^))
       (meaningo arg rho arg-value)
       (meaningo body `((,x . ,arg-value) . ,rho^) value)))
    ((fresh (x body)
       (== `(lambda (,x) ,body) expr)
       (symbolo x)
       (unboundo 'lambda rho)
       (== `(closure ,x ,body ,rho) value)))))

(defrel (unboundo x rho)
  (conde
    ((fresh (name bound more)
       (== `((,name . ,bound) . ,more) rho)
       (=/= name x)
       (unboundo x more)))
    ((== '() rho))))

(defrel (meaning-of-listo expr rho value)
  (conde
    ((== '() expr)
     (== '() value))
    ((fresh (arg-value tail v-head v-tail)
       (== `(,arg-value . ,tail) expr)
       (== `(,v-head . ,v-tail) value)
       (meaningo arg-value rho v-head)
       (meaning-of-listo tail rho v-tail)))))

(defrel (looked-upo x rho found)
  (fresh (more name bound)
    (== `((,name . ,bound) . ,more) rho)
    (conde
      ((== name x) (== bound found))
      ((=/= name x) (looked-upo x more found)))))
(run 3 (q) (meaningo q '() q))
(run 1 (x y) (=/= x y) (meaningo x '() y) (meaningo y '() x))
(run* (q) (meaningo '((lambda (x) (list x x)) (quote a)) '() q))
(run 3 (q) (meaningo q '() '(1 2)))
