//! Tuning: Adam on the composite loss, batched over runs; recovery is judged only by
//! decompiling and running the program on the exact machine.

use crate::compile::decompile;
use crate::diff::{DiffMachine, Example, LossConfig, Shape};
use crate::machine::Machine;
use crate::program::Program;
use crate::task::verify;
use crate::Error;

/// Hyperparameters of one tuning.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TuneConfig {
    /// Adam steps at most.
    pub steps: usize,
    /// Adam learning rate.
    pub lr: f32,
    /// Adam β₁.
    pub beta1: f32,
    /// Adam β₂.
    pub beta2: f32,
    /// Decompile and verify every this many steps (and at step 0 and at the end).
    pub check_every: usize,
    /// The composite loss.
    pub loss: LossConfig,
    /// Whether to verify (and stop) before the first step and every `check_every` steps; when
    /// false the program is verified once, after the last step (tests whether tuning keeps
    /// or finds a correct program rather than whether one is visited).
    pub early_stop: bool,
}

impl Default for TuneConfig {
    fn default() -> TuneConfig {
        TuneConfig {
            steps: 200,
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            check_every: 10,
            loss: LossConfig::default(),
            early_stop: true,
        }
    }
}

/// The outcome of one run.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// The decompiled program verified on every training and held-out example.
    pub recovered: bool,
    /// The Adam step at which it was first verified.
    pub step: Option<usize>,
    /// The last decompiled program.
    pub program: Program,
    /// The last training loss.
    pub loss: f32,
}

/// Tunes `runs` independent weight blocks (`init.len() / shape.params()` runs) with Adam;
/// a run stops as soon as its decompiled program is verified on `train` and `heldout`.
pub fn tune(
    machine: &Machine,
    shape: Shape,
    init: Vec<f32>,
    train: &[Example],
    heldout: &[Example],
    cfg: &TuneConfig,
) -> Result<Vec<RunOutcome>, Error> {
    let np = shape.params();
    if np == 0 || init.len() % np != 0 {
        return Err(Error::Shape(format!(
            "{} logits are not a whole number of runs of {np}",
            init.len()
        )));
    }
    let runs = init.len() / np;
    let dm = DiffMachine::new(*machine, shape, cfg.loss, train.to_vec())?;
    let mut w = init;
    let mut m = vec![0.0f32; w.len()];
    let mut v = vec![0.0f32; w.len()];
    let mut g = vec![0.0f32; w.len()];
    let mut losses = vec![f32::NAN; runs];
    let mut out: Vec<RunOutcome> = (0..runs)
        .map(|_| RunOutcome {
            recovered: false,
            step: None,
            program: Program::default(),
            loss: f32::NAN,
        })
        .collect();
    let mut active = vec![true; runs];
    let check = |w: &[f32], run: usize, out: &mut RunOutcome, step: usize| -> bool {
        if let Ok((p, _)) = decompile(&shape, &w[run * np..(run + 1) * np]) {
            let ok = verify(machine, &p, train) && verify(machine, &p, heldout);
            out.program = p;
            if ok {
                out.recovered = true;
                out.step = Some(step);
            }
            ok
        } else {
            false
        }
    };
    for step in 0..=cfg.steps {
        let due = cfg.early_stop && step % cfg.check_every.max(1) == 0;
        if due || step == cfg.steps {
            for run in 0..runs {
                if active[run] && check(&w, run, &mut out[run], step) {
                    active[run] = false;
                }
            }
        }
        if step == cfg.steps || !active.iter().any(|&a| a) {
            break;
        }
        dm.loss_and_grad_masked(&w, &mut g, &mut losses, &active);
        let t = (step + 1) as i32;
        let c1 = 1.0 - cfg.beta1.powi(t);
        let c2 = 1.0 - cfg.beta2.powi(t);
        for run in 0..runs {
            if !active[run] {
                continue;
            }
            out[run].loss = losses[run];
            for i in run * np..(run + 1) * np {
                let gi = if g[i].is_finite() { g[i] } else { 0.0 };
                m[i] = cfg.beta1 * m[i] + (1.0 - cfg.beta1) * gi;
                v[i] = cfg.beta2 * v[i] + (1.0 - cfg.beta2) * gi * gi;
                w[i] -= cfg.lr * (m[i] / c1) / ((v[i] / c2).sqrt() + 1e-8);
            }
        }
    }
    Ok(out)
}
