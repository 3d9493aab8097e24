//! The whole problem as a formula: the graph encoded once for the holes and static nodes and
//! once per example, with each example's facts (observations, expected outputs) and the cost
//! terms collected, so that the solver can add the facts as hard units, or guarded by one
//! selector per example (`--max-fit`).

use weft_ir::{Examples, Graph};

use crate::cnf::{Sink, TRUE};
use crate::encode::{lit, Encoder, Holes, Inputs};
use crate::SatError;

/// An encoded problem (the clauses went to the sink).
pub struct Formula<'g> {
    pub enc: Encoder<'g>,
    /// Per example: literals that must all hold for the example to pass (observations true,
    /// outputs equal to their expected values; don't-care skipped). `FALSE` marks a fact that
    /// can never hold.
    pub facts: Vec<Vec<i32>>,
    /// Per example: encoded yet (examples are added lazily by the counterexample loop).
    pub added: Vec<bool>,
    /// Cost terms `(literal, weight > 0)`: the total cost is `offset + Σ weight·[literal]`.
    pub cost: Vec<(i32, u64)>,
    pub offset: i64,
}

/// Variables and clauses of an encoding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Size {
    pub vars: u32,
    pub clauses: usize,
}

/// Counts clauses only.
#[derive(Default)]
struct Count(usize);

impl Sink for Count {
    fn push(&mut self, _: &[i32]) {
        self.0 += 1;
    }
    fn n_clauses(&self) -> usize {
        self.0
    }
}

/// The number of examples the evaluator checks: a graph without inputs and without examples
/// has one implicit, empty example (see `weft_ir::Evaluation`).
pub fn n_examples(g: &Graph, ex: &Examples) -> usize {
    if g.inputs.is_empty() && ex.is_empty() {
        1
    } else {
        ex.len()
    }
}

/// Encodes the problem into `sink`; see the module documentation.
pub fn encode_problem<'g>(
    g: &'g Graph,
    ex: &Examples,
    holes: Holes,
    limit: usize,
    sink: &mut dyn Sink,
) -> Result<Formula<'g>, SatError> {
    let mut f = Formula::new(g, ex, holes, limit, sink)?;
    for e in 0..f.facts.len() {
        f.add_example(ex, e, sink)?;
    }
    Ok(f)
}

impl<'g> Formula<'g> {
    /// The holes, the static nodes and the once-costs; no example yet (see
    /// [`Formula::add_example`]).
    pub fn new(
        g: &'g Graph,
        ex: &Examples,
        holes: Holes,
        limit: usize,
        sink: &mut dyn Sink,
    ) -> Result<Formula<'g>, SatError> {
        weft_ir::validate_examples(g, ex)?;
        let mut enc = Encoder::new(g, None, limit, sink)?;
        enc.encode_static(sink, holes)?;
        let n = n_examples(g, ex);
        let mut f = Formula {
            enc,
            facts: vec![Vec::new(); n],
            added: vec![false; n],
            cost: Vec::new(),
            offset: 0,
        };
        for c in g.costs.iter().filter(|c| c.once) {
            let val = f.enc.stat[c.node.0 as usize].clone();
            add_cost(&mut f, &val, &c.weights)?;
        }
        Ok(f)
    }

    /// Encodes example `e` (once): its copy of the dataflow, its facts and its costs.
    pub fn add_example(
        &mut self,
        ex: &Examples,
        e: usize,
        sink: &mut dyn Sink,
    ) -> Result<(), SatError> {
        if self.added[e] {
            return Ok(());
        }
        let g = self.enc.g;
        let n = self.facts.len();
        let inputs = if ex.is_empty() {
            Inputs::None
        } else {
            Inputs::Example(ex, e)
        };
        let origin = ex.origins.get(e).cloned().unwrap_or_default();
        let what = move || format!("example {} {origin} of {n}", e + 1);
        let copy = self.enc.copy(sink, inputs, &what)?;
        let mut facts = Vec::new();
        for o in &g.observations {
            facts.push(lit(self.enc.get(&copy, o.node), 1));
        }
        for (k, out) in g.outputs.iter().enumerate() {
            if let Some(Some(w)) = ex.expected.get(k).and_then(|c| c.get(e)) {
                facts.push(lit(self.enc.get(&copy, out.node), *w));
            }
        }
        facts.retain(|&l| l != TRUE);
        facts.sort_unstable();
        facts.dedup();
        self.facts[e] = facts;
        self.added[e] = true;
        for c in g.costs.iter().filter(|c| !c.once) {
            let val = self.enc.get(&copy, c.node).clone();
            add_cost(self, &val, &c.weights)?;
        }
        Ok(())
    }
}

fn add_cost(f: &mut Formula, val: &[(u32, i32)], weights: &[i64]) -> Result<(), SatError> {
    let w = |v: u32| weights.get(v as usize).copied().unwrap_or(0) as i128;
    let Some(min) = val.iter().map(|&(v, _)| w(v)).min() else {
        return Ok(());
    };
    f.offset = i64::try_from(f.offset as i128 + min).map_err(|_| SatError::Weights(min))?;
    for &(v, l) in val {
        let d = w(v) - min;
        if d > 0 {
            if d > 1 << 40 {
                return Err(SatError::Weights(d));
            }
            f.cost.push((l, d as u64));
        }
    }
    Ok(())
}

/// Variables and clauses of the plain encoding (facts as units), without keeping the clauses.
pub fn size(g: &Graph, ex: &Examples, limit: usize) -> Result<Size, SatError> {
    let mut sink = Count::default();
    let f = encode_problem(
        g,
        ex,
        Holes::Free(Default::default(), false),
        limit,
        &mut sink,
    )?;
    let units: usize = f.facts.iter().map(|x| x.len()).sum();
    Ok(Size {
        vars: f.enc.n_vars(),
        clauses: sink.0 + units,
    })
}
