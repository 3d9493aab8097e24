//! `weft solve --solver <gradient method>`: the gradient solvers of `weft-grad`, their flags,
//! and the report (first verified program, success rate over restarts, steps).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use weft_grad::{Config, Method, Report, RestartOutcome};
use weft_solve::{Observer, Problem};

use crate::cmd::{count_examples, SolveArgs, SolverName};
use crate::load::Loaded;

/// Flags of the gradient solvers (ignored by the others). Unset flags take the method's
/// documented default (`weft_grad::Config::new`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct GradArgs {
    /// Gradient solvers: independent restarts, run as one batch [default: 100].
    #[arg(long, value_name = "N")]
    pub restarts: Option<usize>,
    /// Gradient solvers: optimisation steps per restart [default: 2000].
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// Random seed; every run is reproducible from it [default: 0]. Gradient solvers: the
    /// initialisation and noise; sat with lazy examples: which failed example is added next
    /// (0: the first), to sample the spread of solve times.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Adam learning rate (fmgd*, temp*, gumbel, neural, ste) [default: 0.1, TerpreT's].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub lr: Option<f32>,
    /// Standard deviation of the initial logits [default: 1.0].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub init_scale: Option<f32>,
    /// Entropy penalty weight of fmgd-reg and temp-reg [default: 0.01].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub reg: Option<f32>,
    /// Temperature at the first step (temp, temp-reg) [default: 1.0].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub temp_start: Option<f32>,
    /// Temperature at the last step, annealed geometrically (temp, temp-reg) [default: 0.1].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub temp_end: Option<f32>,
    /// Gumbel-softmax temperature [default: 1.0].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub gumbel_tau: Option<f32>,
    /// Hidden width of the neural reparameterisation [default: 16].
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Bop's adaptivity rate γ, in (0, 1] [default: 0.3].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub gamma: Option<f32>,
    /// Bop's threshold τ ≥ 0, on the scale of the gradient (a violated observation
    /// contributes about 1/log-eps = 1e12) [default: 3e11].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub tau: Option<f32>,
    /// Running-average rate β of gradsearch-ra and gradsearch-plus, in (0, 1) [default: 0.1].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub beta: Option<f32>,
    /// gradsearch-plus: probability of a random move [default: 0.1].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub greedy_eps: Option<f32>,
    /// gradsearch-plus: smoothing of discrete values (0.99/0.01) [default: 0.01].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub smooth: Option<f32>,
    /// gradsearch-plus: steps without a new best loss before re-weighting examples
    /// [default: 100].
    #[arg(long)]
    pub stall: Option<usize>,
    /// gradsearch-plus: example weights are exp(reweight · U(0,1)) [default: 2.0].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub reweight: Option<f32>,
    /// Probabilities are clamped to at least this before ln [default: 1e-12].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub log_eps: Option<f32>,
    /// Weight of the expected soft costs in the loss, at least 0 [default: 0].
    #[arg(long, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub cost_weight: Option<f32>,
    /// Gradient solvers: threads the restarts are split over; results do not depend on it
    /// [default: 0, one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// A 32-bit float flag. It is read as a 64-bit number first, so that a value f32 cannot hold
/// is refused as typed (`--lr 1e300` would become inf, `--beta 1e-60` would become 0).
pub fn parse_f32(s: &str) -> Result<f32, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if !v.is_finite() {
        return Err(format!("must be a finite number, got `{s}`"));
    }
    let f = v as f32;
    if f.is_infinite() {
        return Err(format!(
            "`{s}` is out of range for a 32-bit float (at most {:e} in size)",
            f32::MAX
        ));
    }
    if f == 0.0 && v != 0.0 {
        return Err(format!(
            "`{s}` is too close to 0 for a 32-bit float (it would be 0)"
        ));
    }
    Ok(f)
}

impl GradArgs {
    /// The first of these flags given, if any, as written on the command line.
    pub fn given(&self) -> Option<&'static str> {
        self.first_given(&mut |_| true)
    }

    /// The first gradient-only flag given, if any (`--seed` is not one: the SAT solver uses
    /// it too).
    pub fn used(&self) -> Option<&'static str> {
        self.first_given(&mut |flag| flag != "--seed")
    }

    /// The first flag given that `method` does not read (`--beta` with `fmgd`), if any.
    pub fn unused_by(&self, method: Method) -> Option<&'static str> {
        self.first_given(&mut |flag| !method.uses(&flag[2..]))
    }

    /// The first of these flags given that is not in `read` (the flags a command reads).
    pub fn given_other_than(&self, read: &[&str]) -> Option<&'static str> {
        self.first_given(&mut |flag| !read.contains(&flag))
    }

    /// The first of these flags given for which `pick` holds.
    fn first_given(&self, pick: &mut dyn FnMut(&'static str) -> bool) -> Option<&'static str> {
        macro_rules! first {
            ($($f:ident => $flag:literal),*) => {
                $( if self.$f.is_some() && pick($flag) { return Some($flag); } )*
            };
        }
        first!(
            restarts => "--restarts", steps => "--steps", seed => "--seed", lr => "--lr",
            init_scale => "--init-scale", reg => "--reg", temp_start => "--temp-start",
            temp_end => "--temp-end", gumbel_tau => "--gumbel-tau", hidden => "--hidden",
            gamma => "--gamma", tau => "--tau", beta => "--beta", greedy_eps => "--greedy-eps",
            smooth => "--smooth", stall => "--stall", reweight => "--reweight",
            log_eps => "--log-eps", cost_weight => "--cost-weight", threads => "--threads"
        );
        None
    }

    /// The configuration of `method` with these flags applied.
    pub fn config(&self, method: Method) -> Config {
        let mut c = Config::new(method);
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { c.$f = v; } )* };
        }
        set!(
            restarts,
            steps,
            seed,
            lr,
            init_scale,
            reg,
            temp_start,
            temp_end,
            gumbel_tau,
            hidden,
            gamma,
            tau,
            beta,
            greedy_eps,
            smooth,
            stall,
            reweight,
            log_eps,
            cost_weight,
            threads
        );
        c
    }
}

/// The gradient method a solver name denotes, if it is one.
pub fn method(s: SolverName) -> Option<Method> {
    Some(match s {
        SolverName::Fmgd => Method::Fmgd,
        SolverName::FmgdReg => Method::FmgdReg,
        SolverName::Temp => Method::Temp,
        SolverName::TempReg => Method::TempReg,
        SolverName::Gumbel => Method::Gumbel,
        SolverName::Neural => Method::Neural,
        SolverName::Ste => Method::Ste,
        SolverName::Bop => Method::Bop,
        SolverName::Gradsearch => Method::GradSearch,
        SolverName::GradsearchRa => Method::GradSearchRa,
        SolverName::GradsearchPlus => Method::GradSearchPlus,
        _ => return None,
    })
}

/// A gradient method as a plain [`weft_solve::Solve`]r with its default configuration (for
/// `weft bench terpret` and `solve_loaded`).
/// `None` for a solver that is not a gradient method.
pub fn solver(s: SolverName, timeout: Option<f64>) -> Option<Box<dyn weft_solve::Solve>> {
    let mut c = Config::new(method(s)?);
    c.timeout = timeout.map(crate::cmd::seconds);
    Some(Box::new(weft_grad::GradSolver::new(c)))
}

/// Draws a step counter on a terminal; Ctrl-C is not wired (the batch is short).
pub struct StepProgress {
    on: bool,
    last: Instant,
    label: String,
}

impl StepProgress {
    pub fn new(label: impl Into<String>) -> StepProgress {
        StepProgress {
            on: std::io::stderr().is_terminal(),
            last: Instant::now(),
            label: label.into(),
        }
    }
    pub fn clear(&self) {
        if self.on {
            diag_part!("\r\x1b[2K");
        }
    }
}

impl Observer for StepProgress {
    fn cancelled(&mut self) -> bool {
        crate::interrupt::requested()
    }
    fn progress(&mut self, done: u64, total: Option<u64>) {
        if !self.on || self.last.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last = Instant::now();
        let t = total.unwrap_or(0).max(1);
        let w = 30usize;
        let filled = ((done as f64 / t as f64) * w as f64) as usize;
        diag_part!(
            "\r  {} [{}{}] step {done}/{t}",
            self.label,
            "#".repeat(filled.min(w)),
            "-".repeat(w - filled.min(w))
        );
    }
}

/// Runs one gradient method with a deadline and re-checks its first success.
pub fn run_method(
    l: &Loaded,
    config: &Config,
    progress: &mut dyn Observer,
) -> Result<std::result::Result<Report, String>> {
    let problem = Problem {
        graph: l.graph(),
        examples: &l.examples,
    };
    match weft_grad::run(&problem, config, progress) {
        Ok(r) => {
            if let Some((_, _, a)) = r.first() {
                // The invariant: no solver grades itself.
                weft_solve::verify(&problem, config.method.name(), a)
                    .context("re-checking the first success")?;
            }
            Ok(Ok(r))
        }
        Err(e) => Ok(Err(e.to_string())),
    }
}

/// Steps to success of the successful restarts, sorted.
pub fn success_steps(r: &Report) -> Vec<usize> {
    let mut s: Vec<usize> = r
        .restarts
        .iter()
        .filter_map(|x| match x.outcome {
            RestartOutcome::Solved { step, .. } => Some(step),
            _ => None,
        })
        .collect();
    s.sort_unstable();
    s
}

/// `weft solve --solver <gradient method>`.
pub fn solve(a: &SolveArgs, m: Method, l: &Loaded) -> Result<u8> {
    let mut config = a.grad.config(m);
    config.timeout = a.timeout.map(crate::cmd::seconds);
    let g = l.graph();
    let mut progress = StepProgress::new(m.name());
    let r = run_method(l, &config, &mut progress)?;
    progress.clear();
    let report = match r {
        Ok(r) => r,
        Err(e) => {
            diag!("error: {e}");
            return Ok(2);
        }
    };
    let mut out = crate::out::stdout();
    let steps = success_steps(&report);
    let n = report.restarts.len();
    let summary = format!(
        "{}: {}/{} restarts succeeded ({:.0}%){}; {} steps run, {:.3} s wall for the batch \
         (seed {}){}",
        m.name(),
        steps.len(),
        n,
        100.0 * report.success_rate(),
        if steps.is_empty() {
            String::new()
        } else {
            format!(
                "; steps to success: mean {:.1}, median {}, min {}, max {}",
                steps.iter().sum::<usize>() as f64 / steps.len() as f64,
                steps[steps.len() / 2],
                steps[0],
                steps[steps.len() - 1]
            )
        },
        report.steps_run,
        report.elapsed.as_secs_f64(),
        config.seed,
        match (report.non_finite(), &report.stopped) {
            (0, None) => String::new(),
            (k, s) => format!(
                "; {k} restarts stopped on a non-finite loss{}",
                s.as_ref()
                    .map(|s| format!("; stopped: {s}"))
                    .unwrap_or_default()
            ),
        }
    );
    match report.first() {
        Some((restart, step, h)) => {
            let json = weft_ir::holes_json::to_json(g, h, None);
            if a.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
                diag!("{summary}");
            } else {
                write!(out, "{}", weft_ir::answer::program(g, h))?;
                writeln!(
                    out,
                    "found by {} (restart {restart}, step {step}); verified on {}",
                    m.name(),
                    count_examples(g, &l.examples)
                )?;
                writeln!(out, "{summary}")?;
            }
            crate::cmd::save_holes(a.out.as_deref(), &json)?;
            Ok(0)
        }
        None => {
            crate::cmd::report_no_answer(&mut out, a.json, "gave up", "no restart succeeded")?;
            diag!("{summary}");
            Ok(3)
        }
    }
}
