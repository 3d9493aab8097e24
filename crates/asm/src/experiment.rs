//! Seed 003's Table 1: recovery rates of each method on each task over independent runs.
//!
//! Methods (rows):
//! - **Optimization**: random logits (`W = log(u + ε)`), as many lines as the task's reference
//!   program, tuned.
//! - **Synthesis**: the template enumeration alone; a candidate counts only when it verifies
//!   exactly. Deterministic, so every run gives the same answer.
//! - **Both**: synthesis, then tuning. Every candidate is first checked exactly (that is step 0
//!   of tuning it: compiling with noise keeps the argmax, so a verifying candidate verifies at
//!   once); if none verifies, the `tune_candidates` candidates whose noiselessly compiled
//!   program has the lowest training loss are compiled with noise and tuned, in that order,
//!   each run with its own noise; the first verified program wins.
//! - **Both (near misses)**: as Both with the exactly verifying candidates removed from the
//!   enumeration: what tuning adds when synthesis only comes close.
//! - **Reference**: the task's reference program compiled with noise and tuned for the full
//!   step budget, verified only at the end (does tuning keep a correct program?).
//! - **Init(p)**: a fixed program (map inc, map dec, loop no-op) compiled with noise and tuned
//!   (padded with `noop` lines to the reference program's length when shorter).
//!
//! Recovery is always judged on the exact machine over the training and held-out examples.

use crate::compile::{compile, random_logits};
use crate::diff::{DiffMachine, Example, Shape};
use crate::op::Op;
use crate::program::{parse, Instr, Program};
use crate::rng::Rng;
use crate::task::{verify, Task};
use crate::template::enumerate;
use crate::tune::{tune, TuneConfig};
use crate::Error;

/// A row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Random initialisation, tuned.
    Optimization,
    /// Templates alone.
    Synthesis,
    /// Templates, then tuning.
    Both,
    /// Templates without the exact ones, then tuning.
    BothNearMiss,
    /// A fixed initial program, tuned.
    Init(Init),
    /// The task's reference program compiled with noise, tuned (ANC's experiment).
    Reference,
}

/// The fixed initialisations of Table 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// Listing 1's map with `inc`.
    MapInc,
    /// Listing 1's map with `dec`.
    MapDec,
    /// The map loop with every body line a `noop`.
    LoopNoop,
}

impl Method {
    /// The row label.
    pub fn label(&self) -> &'static str {
        match self {
            Method::Optimization => "Optimization",
            Method::Synthesis => "Synthesis",
            Method::Both => "Both",
            Method::BothNearMiss => "Both (near misses only)",
            Method::Init(Init::MapInc) => "init: map inc",
            Method::Init(Init::MapDec) => "init: map dec",
            Method::Init(Init::LoopNoop) => "init: loop no-op",
            Method::Reference => "reference + noise",
        }
    }

    /// Parses a row name as used on the command line.
    pub fn from_name(s: &str) -> Option<Method> {
        Some(match s {
            "optimization" | "random" => Method::Optimization,
            "synthesis" => Method::Synthesis,
            "both" => Method::Both,
            "near-miss" => Method::BothNearMiss,
            "map-inc" => Method::Init(Init::MapInc),
            "map-dec" => Method::Init(Init::MapDec),
            "loop-noop" => Method::Init(Init::LoopNoop),
            "reference" => Method::Reference,
            _ => return None,
        })
    }

    /// The rows of seed 003's Table 1 (plus the near-miss row).
    pub fn table1() -> Vec<Method> {
        vec![
            Method::Optimization,
            Method::Synthesis,
            Method::Both,
            Method::BothNearMiss,
            Method::Init(Init::MapInc),
            Method::Init(Init::MapDec),
            Method::Init(Init::LoopNoop),
        ]
    }
}

/// Configuration of one cell; with the task and the method it determines the result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Independent runs.
    pub runs: usize,
    /// Seed of everything random (examples, noise, random initialisations).
    pub seed: u64,
    /// γ of eq. 3.
    pub noise: f32,
    /// Training examples (shared by the runs of a cell).
    pub train: usize,
    /// Held-out examples for verification.
    pub heldout: usize,
    /// Largest no-op padding the templates get.
    pub max_pad: usize,
    /// Candidates tuned by Both when none verifies exactly.
    pub tune_candidates: usize,
    /// Adam and the loss.
    pub tune: TuneConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            runs: 100,
            seed: 0,
            noise: 0.3,
            train: 8,
            heldout: 64,
            max_pad: 1,
            tune_candidates: 3,
            tune: TuneConfig::default(),
        }
    }
}

/// The result of one cell.
#[derive(Clone, Debug)]
pub struct CellResult {
    /// Runs whose program verified.
    pub recovered: usize,
    /// Runs.
    pub runs: usize,
    /// Template candidates considered (synthesis rows).
    pub candidates: usize,
    /// A recovered program (the first run's), if any.
    pub program: Option<Program>,
    /// The template it came from (synthesis rows).
    pub template: Option<String>,
    /// Median Adam step at which recovered runs verified.
    pub median_step: Option<usize>,
}

fn init_program(init: Init) -> Program {
    let text = match init {
        Init::MapInc => "l:\nread 1 2\ninc 2 2\nwrite 1 2\ninc 1 1\njump 3 -> l\n",
        Init::MapDec => "l:\nread 1 2\ndec 2 2\nwrite 1 2\ninc 1 1\njump 3 -> l\n",
        Init::LoopNoop => "l:\nnoop\nnoop\nnoop\nnoop\njump 3 -> l\n",
    };
    parse(text, 4).unwrap_or_default()
}

fn pad_to(mut p: Program, lines: usize) -> Program {
    while p.len() < lines {
        p.instrs.push(Instr::new(Op::Noop, 0, 0, 0, 0));
    }
    p
}

/// The tuning a cell runs, worked out without running it, so that a caller can check its cost
/// ([`crate::tune::cost`]) before running any cell. Every tuning of the cell runs at most
/// `runs` runs of at most `shape` on `examples` training examples; `tunings` of them run one
/// after another (Both tunes up to [`Config::tune_candidates`] candidates in turn, each freed
/// before the next), so the memory is that of one and the work that of `tunings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellTuning {
    /// The largest shape tuned: the task's reference program's length (Optimization,
    /// Reference), the padded initial program's (Init), the longest template candidate's,
    /// padding up to [`Config::max_pad`] included (Both).
    pub shape: Shape,
    /// Runs of one tuning ([`Config::runs`]).
    pub runs: usize,
    /// Training examples ([`Config::train`]).
    pub examples: usize,
    /// Tunings run one after another, at most.
    pub tunings: usize,
}

/// What [`run_cell`] will tune for `method` on `task`, at most; `None` for a cell that tunes
/// nothing (Synthesis, or Both with no candidates to tune). An upper bound for Both: which
/// candidates it tunes, and whether it tunes any, is known only once the candidates are
/// checked, so this supposes the longest ones, as many as `tune_candidates`.
pub fn cell_tuning(method: Method, task: &Task, cfg: &Config) -> Result<Option<CellTuning>, Error> {
    task.machine.validate()?;
    let reference = task.reference_program()?;
    let (lines, tunings) = match method {
        Method::Synthesis => return Ok(None),
        Method::Optimization | Method::Reference => (reference.len(), 1),
        Method::Init(init) => (pad_to(init_program(init), reference.len()).len(), 1),
        Method::Both | Method::BothNearMiss => {
            let cands = enumerate(cfg.max_pad, task.machine.registers, None);
            let tunings = cfg.tune_candidates.min(cands.len());
            match cands.iter().map(|(_, p)| p.len()).max() {
                Some(lines) if tunings > 0 => (lines, tunings),
                _ => return Ok(None),
            }
        }
    };
    Ok(Some(CellTuning {
        shape: Shape {
            lines,
            registers: task.machine.registers,
        },
        runs: cfg.runs,
        examples: cfg.train,
        tunings,
    }))
}

/// (run, recovered, step verified, last program).
type RunRow = (usize, bool, Option<usize>, Program);

fn tune_from(
    task: &Task,
    program: &Program,
    cfg: &Config,
    runs: &[usize],
    train: &[Example],
    heldout: &[Example],
    salt: u64,
) -> Result<Vec<RunRow>, Error> {
    let shape = Shape {
        lines: program.len(),
        registers: task.machine.registers,
    };
    let root = Rng::new(cfg.seed ^ salt);
    let mut init = Vec::with_capacity(runs.len() * shape.params());
    for &r in runs {
        init.extend(compile(
            program,
            &shape,
            cfg.noise,
            &mut root.fork(r as u64),
        )?);
    }
    let out = tune(&task.machine, shape, init, train, heldout, &cfg.tune)?;
    Ok(runs
        .iter()
        .zip(out)
        .map(|(&r, o)| (r, o.recovered, o.step, o.program))
        .collect())
}

fn summarise(results: &[RunRow], runs: usize) -> (usize, Option<Program>, Option<usize>) {
    let ok: Vec<_> = results.iter().filter(|r| r.1).collect();
    let mut steps: Vec<usize> = ok.iter().filter_map(|r| r.2).collect();
    steps.sort_unstable();
    let med = steps.get(steps.len() / 2).copied();
    let _ = runs;
    (ok.len(), ok.first().map(|r| r.3.clone()), med)
}

/// Runs one cell of the table.
pub fn run_cell(method: Method, task: &Task, cfg: &Config) -> Result<CellResult, Error> {
    task.machine.validate()?;
    if cfg.runs == 0 {
        return Err(Error::Config("runs must be at least 1".into()));
    }
    let reference = task.reference_program()?;
    let mut rng = Rng::new(cfg.seed).fork(0x7a5c);
    let train = task.examples(cfg.train, &mut rng);
    let heldout = task.examples(cfg.heldout, &mut rng);
    let all_runs: Vec<usize> = (0..cfg.runs).collect();
    let mut res = CellResult {
        recovered: 0,
        runs: cfg.runs,
        candidates: 0,
        program: None,
        template: None,
        median_step: None,
    };
    match method {
        Method::Optimization => {
            let shape = Shape {
                lines: reference.len(),
                registers: task.machine.registers,
            };
            let root = Rng::new(cfg.seed ^ 0x0ff1);
            let mut init = Vec::new();
            for r in 0..cfg.runs {
                init.extend(random_logits(&shape, &mut root.fork(r as u64)));
            }
            let out = tune(&task.machine, shape, init, &train, &heldout, &cfg.tune)?;
            let results: Vec<_> = out
                .into_iter()
                .enumerate()
                .map(|(r, o)| (r, o.recovered, o.step, o.program))
                .collect();
            (res.recovered, res.program, res.median_step) = summarise(&results, cfg.runs);
        }
        Method::Init(init) => {
            let p = pad_to(init_program(init), reference.len());
            let results = tune_from(task, &p, cfg, &all_runs, &train, &heldout, 0x1417)?;
            (res.recovered, res.program, res.median_step) = summarise(&results, cfg.runs);
        }
        Method::Reference => {
            // Verified once, after the last step: compiling keeps the argmax, so checking at
            // step 0 would only restate that compilation is correct.
            let mut c = *cfg;
            c.tune.early_stop = false;
            let results = tune_from(task, &reference, &c, &all_runs, &train, &heldout, 0x4ef)?;
            (res.recovered, res.program, res.median_step) = summarise(&results, cfg.runs);
        }
        Method::Synthesis | Method::Both | Method::BothNearMiss => {
            let cands = enumerate(cfg.max_pad, task.machine.registers, None);
            let mut failing = Vec::new();
            for (t, p) in &cands {
                res.candidates += 1;
                let ok = verify(&task.machine, p, &train) && verify(&task.machine, p, &heldout);
                if ok && method != Method::BothNearMiss {
                    res.recovered = cfg.runs;
                    res.program = Some(p.clone());
                    res.template = Some(t.to_string());
                    res.median_step = Some(0);
                    return Ok(res);
                }
                if !ok {
                    failing.push((t, p));
                }
            }
            if method == Method::Synthesis {
                return Ok(res);
            }
            // Rank the near misses by the training loss of their noiseless compilation.
            let mut ranked: Vec<(f32, usize)> = failing
                .iter()
                .enumerate()
                .map(|(k, (_, p))| {
                    let shape = Shape {
                        lines: p.len(),
                        registers: task.machine.registers,
                    };
                    let w = compile(p, &shape, 0.0, &mut Rng::new(0)).unwrap_or_default();
                    let dm = DiffMachine::new(task.machine, shape, cfg.tune.loss, train.clone());
                    let l = match dm {
                        Ok(dm) if !w.is_empty() => dm.loss(&w, 1)[0],
                        _ => f32::INFINITY,
                    };
                    (if l.is_finite() { l } else { f32::INFINITY }, k)
                })
                .collect();
            ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut remaining = all_runs.clone();
            let mut all_results = Vec::new();
            for &(_, k) in ranked.iter().take(cfg.tune_candidates) {
                if remaining.is_empty() {
                    break;
                }
                let (t, p) = failing[k];
                let results = tune_from(task, p, cfg, &remaining, &train, &heldout, k as u64)?;
                for r in &results {
                    if r.1 && res.template.is_none() {
                        res.template = Some(t.to_string());
                    }
                }
                remaining.retain(|r| !results.iter().any(|x| x.0 == *r && x.1));
                all_results.extend(results.into_iter().filter(|x| x.1));
            }
            (res.recovered, res.program, res.median_step) = summarise(&all_results, cfg.runs);
        }
    }
    Ok(res)
}
