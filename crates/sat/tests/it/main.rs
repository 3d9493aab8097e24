//! Tests of the SAT backend: random small sketches against the reference solver (satisfiable
//! or not, optimal cost, best fit, enumeration), sketches from the language, the miter, and
//! the SMT-LIB export solved by Debian's z3.

mod props;
mod sketches;
