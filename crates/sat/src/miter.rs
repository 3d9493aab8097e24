//! Verification on *every* input: does a program agree with a reference?
//!
//! Both graphs are encoded over the same symbolic inputs (one-hot over each input slot's whole
//! domain) with their holes fixed, and the solver is asked for an input on which the
//! reference's observations hold but the program's outputs differ from the reference's, or one
//! of the program's observations fails (a *miter*). Unsatisfiable: they agree on every input,
//! proved. Satisfiable: the input is a counterexample, re-checked by the exact evaluator on
//! both graphs before it is returned.

use std::time::{Duration, Instant};

use weft_ir::{Assignment, Evaluator, Graph};
use weft_solve::Observer;

use crate::cnf::Cadical;
use crate::encode::{lit, Encoder, Holes, Inputs, Val};
use crate::SatError;

/// The verdict of [`check_all_inputs`].
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// Proved: on every input the reference accepts, the outputs agree and the program's
    /// observations hold.
    Agree { inputs: f64, elapsed: Duration },
    /// An input (value index per input slot) on which they differ, with both outputs.
    Counterexample {
        inputs: Vec<u32>,
        program: Vec<u32>,
        reference: Vec<u32>,
        /// The program's observations fail on this input.
        observation_failed: bool,
    },
    /// Stopped by the deadline or cancellation.
    GaveUp(String),
}

/// Checks `g` filled with `a` against `r` filled with `ra` on every input; see the module
/// documentation. The two graphs must have the same input and output slots (same number,
/// same domain sizes).
pub fn check_all_inputs(
    g: &Graph,
    a: &Assignment,
    r: &Graph,
    ra: &Assignment,
    max_clauses: usize,
    deadline: Option<Duration>,
    obs: &mut dyn Observer,
) -> Result<Check, SatError> {
    // The encoding may be stopped by the deadline or Ctrl-C: that is a verdict, not an error.
    let mut body = move || -> Result<Check, SatError> {
        let start = Instant::now();
        let size = |gr: &Graph, d| gr.domain(d).size;
        if g.inputs.len() != r.inputs.len()
            || g.inputs
                .iter()
                .zip(&r.inputs)
                .any(|(x, y)| size(g, x.domain) != size(r, y.domain))
        {
            return Err(SatError::Mismatch(format!(
                "the sketch has {} input slots, the reference {} (or their domains differ)",
                g.inputs.len(),
                r.inputs.len()
            )));
        }
        if g.outputs.len() != r.outputs.len()
            || g.outputs
                .iter()
                .zip(&r.outputs)
                .any(|(x, y)| size(g, x.slot.domain) != size(r, y.slot.domain))
        {
            return Err(SatError::Mismatch(format!(
                "the sketch has {} outputs, the reference {} (or their domains differ)",
                g.outputs.len(),
                r.outputs.len()
            )));
        }
        let mut be = Cadical::new(
            obs,
            deadline.and_then(|d| start.checked_add(d)),
            Default::default(),
        );
        let mut eg = Encoder::new(g, None, max_clauses, &mut be)?;
        let inputs: Vec<Val> = g
            .inputs
            .iter()
            .map(|s| {
                let values: Vec<u32> = (0..size(g, s.domain)).collect();
                eg.fresh(&mut be, &values)
            })
            .collect();
        eg.encode_static(&mut be, Holes::Fixed(a))?;
        let cg = eg.copy(&mut be, Inputs::Symbolic(&inputs), &|| "the program".into())?;
        let mut er = Encoder::new(r, Some(eg.vm.clone()), max_clauses, &mut be)?;
        er.encode_static(&mut be, Holes::Fixed(ra))?;
        let cr = er.copy(&mut be, Inputs::Symbolic(&inputs), &|| {
            "the reference".into()
        })?;
        for o in &r.observations {
            let l = lit(er.get(&cr, o.node), 1);
            er.clause(&mut be, &[l]);
        }
        let mut differ = Vec::new();
        for (og, or) in g.outputs.iter().zip(&r.outputs) {
            let vg = eg.get(&cg, og.node).clone();
            let vr = er.get(&cr, or.node).clone();
            for &(w, l) in &vg {
                let t = er.new_var();
                er.clause(&mut be, &[-t, l]);
                er.clause(&mut be, &[-t, -lit(&vr, w)]);
                differ.push(t);
            }
        }
        for o in &g.observations {
            differ.push(-lit(eg.get(&cg, o.node), 1));
        }
        er.clause(&mut be, &differ);
        match be.solve(&[]) {
            Some(false) => Ok(Check::Agree {
                inputs: g.inputs.iter().map(|s| size(g, s.domain) as f64).product(),
                elapsed: start.elapsed(),
            }),
            None => Ok(Check::GaveUp(match be.stop().reason {
                Some("cancelled") => "cancelled".into(),
                _ => "deadline reached".into(),
            })),
            Some(true) => {
                let x: Vec<u32> = inputs
                    .iter()
                    .map(|val| {
                        val.iter()
                            .find(|&&(_, l)| be.value(l))
                            .map_or(0, |&(v, _)| v)
                    })
                    .collect();
                let tg = Evaluator::new(g)?.trace(g, a, &x)?;
                let tr = Evaluator::new(r)?.trace(r, ra, &x)?;
                let program: Vec<u32> = g.outputs.iter().map(|o| tg[o.node.0 as usize]).collect();
                let reference: Vec<u32> = r.outputs.iter().map(|o| tr[o.node.0 as usize]).collect();
                let observation_failed = g.observations.iter().any(|o| tg[o.node.0 as usize] != 1);
                let ref_ok = r.observations.iter().all(|o| tr[o.node.0 as usize] == 1);
                if !ref_ok || (program == reference && !observation_failed) {
                    return Err(SatError::Unsound(
                        "the miter's counterexample does not separate the two programs".into(),
                    ));
                }
                Ok(Check::Counterexample {
                    inputs: x,
                    program,
                    reference,
                    observation_failed,
                })
            }
        }
    };
    match body() {
        Err(e @ SatError::Stopped { .. }) => Ok(Check::GaveUp(e.to_string())),
        r => r,
    }
}
