//! The benchmark programs behind `weft bench kanren`, shared with the faster-miniKanren
//! peer script (`crates/kanren/bench/peer.py` runs the same relation files and queries).
//! Timing is the caller's business: this module only builds the modules.

use crate::{Error, Module};

/// The relations of the benchmarks, as files in `crates/kanren/programs/`.
pub const APPENDO: &str = include_str!("../programs/appendo.mk");
pub const ARITH: &str = include_str!("../programs/arith.mk");
pub const QUINES: &str = include_str!("../programs/quines.mk");

/// One benchmark: a name, its relations and its query.
pub struct Bench {
    pub name: &'static str,
    pub relations: &'static str,
    pub query: String,
}

/// The suite: appendo splitting a 1,000-element list, the Reasoned Schemer's arithmetic
/// (all sums, factoring with `*o`, division with `/o`), quines and twines.
pub fn suite() -> Vec<Bench> {
    let l: Vec<String> = (1..=1000).map(|i| i.to_string()).collect();
    let b = |name, relations, query: &str| Bench {
        name,
        relations,
        query: query.to_string(),
    };
    vec![
        b(
            "appendo-split-1000",
            APPENDO,
            &format!("(run* (x y) (appendo x y '({})))", l.join(" ")),
        ),
        b(
            "pluso-all-16",
            ARITH,
            "(run* (x y) (pluso x y '(0 0 0 0 1)))",
        ),
        b(
            "factor-*o-60",
            ARITH,
            "(run* (p q) (*o p q '(0 0 1 1 1 1)))",
        ),
        b(
            "divo-100-7",
            ARITH,
            "(run* (q r) (/o '(0 0 1 0 0 1 1) '(1 1 1) q r))",
        ),
        b("quines-1", QUINES, "(run 1 (q) (meaningo q '() q))"),
        b("quines-5", QUINES, "(run 5 (q) (meaningo q '() q))"),
        b(
            "twines-1",
            QUINES,
            "(run 1 (x y) (=/= x y) (meaningo x '() y) (meaningo y '() x))",
        ),
    ]
}

impl Bench {
    /// The compiled module; its only `run` form is number 0.
    pub fn module(&self) -> Result<Module, Error> {
        Module::parse(&format!("{}\n{}", self.relations, self.query))
    }
}
