//! Tuning: Adam on the composite loss, batched over runs; recovery is judged only by
//! decompiling and running the program on the exact machine.

use crate::compile::decompile;
use crate::diff::{DiffMachine, Example, LossConfig, Shape};
use crate::machine::Machine;
use crate::op::NUM_OPS;
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

/// What a tuning will cost, worked out before anything is allocated from the sizes [`tune`] and
/// the differentiable machine allocate, so that a caller can refuse a tuning that would not
/// fit in memory or would not end in reasonable time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cost {
    /// Bytes held at once: per run, the logits, Adam's two moments and the gradient (four `f32`
    /// per logit), the loss and the outcome with its program; once, the tape of one example,
    /// the head probabilities and their gradient, the backward buffers and the operation table.
    pub bytes: u64,
    /// Units of work: runs × examples × Adam steps × machine steps × [`step_work`], supposing no
    /// run stops early (the exact checks every [`TuneConfig::check_every`] steps are left out:
    /// they are a small fraction). One unit, forward and backward together, took 1.3 to 3 ns
    /// on a 2-core machine shared with builds.
    pub work: f64,
}

/// Units of work of one step of the differentiable machine on one (run, example): the inner-loop
/// iterations of its forward pass (the backward pass runs the same loops about twice over).
/// The controller and the jump mix every line's heads (`Shape::params`), the operation table
/// costs `5·b²` (five binary operations), the register lookups and write and the memory read
/// and write `(3·R + 2·cells)·b`.
pub fn step_work(machine: &Machine, shape: &Shape) -> u64 {
    let (r, b, cells) = (
        machine.registers as u64,
        machine.base as u64,
        machine.cells as u64,
    );
    (shape.params() as u64)
        .saturating_add(5 * b * b)
        .saturating_add((3 * r + 2 * cells) * b)
}

/// The cost of [`tune`] on `runs` runs of `shape` with `examples` training examples.
pub fn cost(
    machine: &Machine,
    shape: &Shape,
    runs: usize,
    examples: usize,
    cfg: &TuneConfig,
) -> Cost {
    const F32: u64 = std::mem::size_of::<f32>() as u64;
    let np = shape.params() as u64;
    let (ll, r, b, cells, t) = (
        shape.lines as u64 + 1,
        machine.registers as u64,
        machine.base as u64,
        machine.cells as u64,
        machine.steps as u64,
    );
    let program = std::mem::size_of::<crate::program::Instr>() as u64 * shape.lines as u64;
    let per_run = (4 * F32)
        .saturating_mul(np)
        .saturating_add(F32 + 1 + std::mem::size_of::<RunOutcome>() as u64 + program);
    // `DiffMachine::new_tape`, `probs` and `gp`, `Backward`, the operation table.
    let tape = (t + 1) * (ll + (r + cells) * b) + t * (NUM_OPS as u64 + 3 * r + 3 * b);
    let backward = 2 * (ll + (r + cells) * b) + NUM_OPS as u64 + 3 * r + 3 * b;
    let once = F32
        .saturating_mul(tape + backward)
        .saturating_add((2 * F32).saturating_mul(np))
        .saturating_add(2 * NUM_OPS as u64 * b * b);
    Cost {
        bytes: per_run.saturating_mul(runs as u64).saturating_add(once),
        work: runs as f64
            * examples as f64
            * cfg.steps as f64
            * t as f64
            * step_work(machine, shape) as f64,
    }
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
