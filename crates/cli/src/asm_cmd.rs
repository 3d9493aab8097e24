//! `weft asm …` (the assembly language, the exact machine, neural compilation, tuning) and
//! `weft bench anc` (seed 003's Table 1).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use weft_asm::compile::{compile, decompile, random_logits, weights_from_json, weights_to_json};
use weft_asm::diff::Shape;
use weft_asm::experiment::{cell_tuning, run_cell, CellResult, Config, Method};
use weft_asm::machine::{run, Machine, MAX_REGISTERS};
use weft_asm::program::{parse, print, Program};
use weft_asm::rng::Rng;
use weft_asm::task;
use weft_asm::tune::{tune, TuneConfig};

use crate::input::{self, Kind};

#[derive(clap::Args, Debug)]
pub struct AsmArgs {
    #[command(subcommand)]
    pub command: AsmCommand,
}

#[derive(clap::Args, Debug, Clone, Copy)]
pub struct MachineArgs {
    /// Registers (r1..rN).
    #[arg(long, default_value_t = 4)]
    pub registers: usize,
    /// Values are integers modulo this base.
    #[arg(long, default_value_t = 8)]
    pub base: usize,
    /// Memory cells (at most the base).
    #[arg(long, default_value_t = 8)]
    pub cells: usize,
    /// Step budget.
    #[arg(long, default_value_t = 32)]
    pub steps: usize,
}

impl MachineArgs {
    fn machine(&self) -> Machine {
        Machine {
            registers: self.registers,
            base: self.base,
            cells: self.cells,
            steps: self.steps,
        }
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum AsmCommand {
    /// Parse a program and print it back in canonical form.
    Fmt {
        /// The program (`.s`).
        file: PathBuf,
        /// Registers of the machine.
        #[arg(long, default_value_t = 4)]
        registers: usize,
    },
    /// Run a program on the exact machine and print the final memory and registers.
    Run {
        /// The program.
        file: PathBuf,
        /// Initial memory, comma-separated (missing cells are 0).
        #[arg(long, value_delimiter = ',', num_args = 0..)]
        memory: Vec<usize>,
        #[command(flatten)]
        machine: MachineArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compile a program into the differentiable machine's weights (eq. 3); JSON.
    Compile {
        /// The program.
        file: PathBuf,
        /// γ: the magnitude of the uniform noise.
        #[arg(long, default_value_t = 0.3, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
        noise: f32,
        /// Seed of the noise.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Registers of the machine.
        #[arg(long, default_value_t = 4)]
        registers: usize,
        /// Write the weights here instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Decompile weights: the argmax per line, with the probability of each choice.
    Decompile {
        /// The weights file.
        file: PathBuf,
    },
    /// List the built-in tasks.
    Tasks,
    /// Tune a compiled program (or random weights) on a task; verify on the exact machine.
    Tune {
        /// The task (see `weft asm tasks`).
        #[arg(long)]
        task: String,
        /// Initial program (default: the task's reference program).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["weights", "random"])]
        init: Option<PathBuf>,
        /// Initial weights file.
        #[arg(long, value_name = "FILE", conflicts_with = "random")]
        weights: Option<PathBuf>,
        /// Start from random weights with this many lines.
        #[arg(long, value_name = "LINES")]
        random: Option<usize>,
        /// Independent runs (one batch).
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// γ of the compilation.
        #[arg(long, default_value_t = 0.3, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
        noise: f32,
        /// Adam steps (at most 1000000).
        #[arg(long, default_value_t = 200)]
        steps: usize,
        /// Adam learning rate.
        #[arg(long, default_value_t = 0.1, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
        lr: f32,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Write the first recovered run's weights here.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Run the task on a machine with this many registers.
        #[arg(long)]
        registers: Option<usize>,
        /// Run the task on a machine with this base.
        #[arg(long)]
        base: Option<usize>,
        /// Run the task on a machine with this many memory cells.
        #[arg(long)]
        cells: Option<usize>,
        /// Run the task on a machine with this step budget.
        #[arg(long)]
        machine_steps: Option<usize>,
        /// Run even if the estimated work is beyond the cap (about 10^12 units, most of an
        /// hour on one core); a tuning that would not fit in memory is still refused.
        #[arg(long)]
        no_work_cap: bool,
    },
}

/// The file's text, without a leading byte-order mark.
fn read(path: &Path, kind: Kind) -> Result<String> {
    let text = input::read_text(path, kind)
        .map_err(|e| e.with_context(|| format!("cannot read `{}`", path.display())))?;
    Ok(weft_ir::json::strip_bom(&text).to_string())
}

/// Most Adam steps `asm tune` takes.
const MAX_ADAM_STEPS: usize = 1_000_000;

/// Training examples of `asm tune` (and 64 held out).
const TUNE_EXAMPLES: usize = 8;

/// Most units of work (`weft_asm::tune::Cost::work`) `asm tune` takes without `--no-work-cap`:
/// 50 minutes at the measured 3 ns a unit (1.3 to 3 ns on a 2-core machine shared with builds;
/// the default tuning, 10 runs of map-inc for 200 steps, is about 3·10^8 units). The
/// estimate supposes that no run stops early.
const MAX_TUNE_WORK: f64 = 1e12;

/// Nanoseconds a unit of work takes, at most, as measured: for the time shown in a refusal.
const NS_PER_UNIT: f64 = 3.0;

/// Where the weights of `asm tune`'s runs come from.
enum Init {
    /// One weights file, copied into every run.
    Weights(Vec<f32>),
    /// Random logits, drawn per run.
    Random,
    /// A program compiled with noise, drawn per run.
    Program(Program),
}

/// A tuning to check against the budget before anything is allocated: what it tunes, and
/// what the refusal says.
struct Budget<'a> {
    /// Who refuses, at the start of the message: `asm tune`, `bench anc: cell Both × inc`.
    what: &'a str,
    machine: &'a Machine,
    shape: Shape,
    runs: usize,
    /// Training examples.
    examples: usize,
    /// Tunings of at most this size run one after another (Both's candidates): the memory is
    /// that of one, the work that of all.
    tunings: usize,
    cfg: &'a TuneConfig,
    /// How to need less memory: `use fewer runs (--runs) or a shorter program`.
    less_memory: &'a str,
    /// How to need less work (the refusal adds `or pass --no-work-cap`).
    less_work: &'a str,
}

/// Refuses (exit code 2) a tuning whose buffers would take more than three quarters of the
/// machine's memory, or whose work is beyond [`MAX_TUNE_WORK`] unless `no_work_cap`; the
/// refusal gives both figures and where they come from. `asm tune` and every tuning cell of
/// `bench anc` go through here.
fn check_budget(b: &Budget<'_>, no_work_cap: bool) -> Result<()> {
    let (m, shape, runs, examples, cfg) = (b.machine, b.shape, b.runs, b.examples, b.cfg);
    let one = weft_asm::tune::cost(m, &shape, runs, examples, cfg);
    let (bytes, work) = (one.bytes, one.work * b.tunings as f64);
    let limit = weft_grad::run::memory_limit();
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    let tunings = if b.tunings > 1 {
        format!(" × {} candidates", b.tunings)
    } else {
        String::new()
    };
    let figures = || {
        format!(
            "it needs about {:.1} GiB of memory ({runs} runs × {} logits × 4 buffers of f32) \
             and {:.1e} units of work ({runs} runs × {examples} examples{tunings} × {} Adam \
             steps × {} machine steps × {} a step; about {} at {NS_PER_UNIT} ns a unit)",
            gib(bytes),
            shape.params(),
            work,
            cfg.steps,
            m.steps,
            weft_asm::tune::step_work(m, &shape),
            duration(work * NS_PER_UNIT * 1e-9),
        )
    };
    if bytes > limit {
        bail!(
            "{}: {}, more memory than the {:.1} GiB allowed (three quarters of this machine's \
             memory); {}",
            b.what,
            figures(),
            gib(limit),
            b.less_memory
        );
    }
    if work > MAX_TUNE_WORK && !no_work_cap {
        bail!(
            "{}: {}, more than the {MAX_TUNE_WORK:.0e} units allowed (about {}); {}, or pass \
             --no-work-cap to run it anyway",
            b.what,
            figures(),
            duration(MAX_TUNE_WORK * NS_PER_UNIT * 1e-9),
            b.less_work
        );
    }
    Ok(())
}

/// Seconds in the largest unit that keeps the number at least 1: `50 min`, `3.2 days`.
fn duration(secs: f64) -> String {
    const UNITS: [(&str, f64); 5] = [
        ("years", 365.0 * 86400.0),
        ("days", 86400.0),
        ("h", 3600.0),
        ("min", 60.0),
        ("s", 1.0),
    ];
    let (name, size) = UNITS
        .iter()
        .copied()
        .find(|&(_, size)| secs >= size)
        .unwrap_or(("s", 1.0));
    format!("{:.1} {name}", secs / size)
}

fn load_program(path: &Path, registers: usize) -> Result<Program> {
    if registers == 0 || registers > MAX_REGISTERS {
        bail!("registers must be in 1..={MAX_REGISTERS}, got {registers}");
    }
    let text = read(path, Kind::Program)?;
    parse(&text, registers).map_err(|ds| {
        let msg: Vec<String> = ds
            .iter()
            .map(|d| format!("{}:{d}", path.display()))
            .collect();
        anyhow::anyhow!("{}", msg.join("\n"))
    })
}

pub fn asm(a: &AsmArgs) -> Result<u8> {
    let mut out = crate::out::stdout();
    match &a.command {
        AsmCommand::Fmt { file, registers } => {
            let p = load_program(file, *registers)?;
            write!(out, "{}", print(&p))?;
        }
        AsmCommand::Run {
            file,
            memory,
            machine,
            json,
        } => {
            let m = machine.machine();
            // Before the memory is allocated: `--cells` is only bounded by the base.
            m.validate()?;
            let p = load_program(file, m.registers)?;
            if memory.len() > m.cells {
                bail!(
                    "--memory has {} values, the machine {} cells",
                    memory.len(),
                    m.cells
                );
            }
            let mut mem = memory.clone();
            mem.resize(m.cells, 0);
            let o = run(&m, &p, &mem)?;
            if *json {
                let v = serde_json::json!({
                    "memory": o.memory, "registers": o.registers,
                    "halted": o.halted, "steps": o.steps,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(out, "memory:    {:?}", o.memory)?;
                writeln!(out, "registers: {:?}", o.registers)?;
                writeln!(
                    out,
                    "{} after {} steps",
                    if o.halted { "halted" } else { "still running" },
                    o.steps
                )?;
            }
        }
        AsmCommand::Compile {
            file,
            noise,
            seed,
            registers,
            out: dest,
        } => {
            if !(0.0..=100.0).contains(noise) {
                bail!("--noise must be in 0..=100, got {noise}");
            }
            let p = load_program(file, *registers)?;
            if p.is_empty() {
                bail!("`{}` has no instructions", file.display());
            }
            let shape = Shape {
                lines: p.len(),
                registers: *registers,
            };
            let w = compile(&p, &shape, *noise, &mut Rng::new(*seed))?;
            let text = weights_to_json(&shape, &w);
            match dest {
                Some(d) => std::fs::write(d, text + "\n")
                    .with_context(|| format!("cannot write `{}`", d.display()))?,
                None => writeln!(out, "{text}")?,
            }
        }
        AsmCommand::Decompile { file } => {
            let (shape, w) = weights_from_json(&read(file, Kind::Weights)?)
                .with_context(|| file.display().to_string())?;
            let (p, conf) = decompile(&shape, &w)?;
            let text = print(&p);
            // Confidence as a comment on each instruction line (the output still parses).
            let mut k = 0;
            for line in text.lines() {
                if line.trim_end().ends_with(':') {
                    writeln!(out, "{line}")?;
                    continue;
                }
                let c = &conf[k];
                let args: Vec<String> = c.args.iter().map(|x| format!("{x:.2}")).collect();
                writeln!(
                    out,
                    "{line:<28}# p(op) {:.2}{}{}",
                    c.op,
                    if args.is_empty() { "" } else { ", p(args) " },
                    args.join(" ")
                )?;
                k += 1;
            }
        }
        AsmCommand::Tasks => {
            for t in task::all() {
                let m = t.machine;
                writeln!(
                    out,
                    "{:10} {} (registers {}, base {}, cells {}, steps {})",
                    t.name, t.description, m.registers, m.base, m.cells, m.steps
                )?;
            }
        }
        AsmCommand::Tune {
            task: name,
            init,
            weights,
            random,
            runs,
            noise,
            steps,
            lr,
            seed,
            out: dest,
            registers,
            base,
            cells,
            machine_steps,
            no_work_cap,
        } => {
            let t = task::get(name)?;
            let m = t.machine;
            let t = t.with_machine(Machine {
                registers: registers.unwrap_or(m.registers),
                base: base.unwrap_or(m.base),
                cells: cells.unwrap_or(m.cells),
                steps: machine_steps.unwrap_or(m.steps),
            })?;
            let regs = t.machine.registers;
            if *runs == 0 || *runs > 10_000 {
                bail!("--runs must be in 1..=10000");
            }
            if *steps > MAX_ADAM_STEPS {
                // An unreachable budget (`--steps 18446744073709551615`) ran without end.
                bail!("--steps must be in 0..={MAX_ADAM_STEPS}, got {steps}");
            }
            check_rates(*lr, *noise, "--noise")?;
            let root = Rng::new(*seed);
            // The shape and where the weights come from, before the runs' weights are made.
            let (shape, init) = if let Some(f) = weights {
                let (shape, w) = weights_from_json(&read(f, Kind::Weights)?)
                    .with_context(|| f.display().to_string())?;
                if shape.registers != regs {
                    bail!(
                        "`{}` has {} registers; task `{name}` runs on {regs}",
                        f.display(),
                        shape.registers
                    );
                }
                (shape, Init::Weights(w))
            } else if let Some(lines) = random {
                if *lines == 0 || *lines > 256 {
                    bail!("--random takes 1..=256 lines");
                }
                let shape = Shape {
                    lines: *lines,
                    registers: regs,
                };
                (shape, Init::Random)
            } else {
                let p = match init {
                    Some(f) => load_program(f, regs)?,
                    None => t.reference_program()?,
                };
                if p.is_empty() {
                    bail!("the initial program has no instructions");
                }
                let shape = Shape {
                    lines: p.len(),
                    registers: regs,
                };
                (shape, Init::Program(p))
            };
            let cfg = TuneConfig {
                steps: *steps,
                lr: *lr,
                ..TuneConfig::default()
            };
            let budget = Budget {
                what: "asm tune",
                machine: &t.machine,
                shape,
                runs: *runs,
                examples: TUNE_EXAMPLES,
                tunings: 1,
                cfg: &cfg,
                less_memory: "use fewer runs (--runs) or a shorter program",
                less_work: "use fewer runs (--runs), Adam steps (--steps), lines or machine steps",
            };
            check_budget(&budget, *no_work_cap)?;
            let mut w = Vec::with_capacity(runs * shape.params());
            for r in 0..*runs {
                let mut rng = root.fork(r as u64);
                match &init {
                    Init::Weights(one) => w.extend_from_slice(one),
                    Init::Random => w.extend(random_logits(&shape, &mut rng)),
                    Init::Program(p) => w.extend(compile(p, &shape, *noise, &mut rng)?),
                }
            }
            let mut rng = root.fork(u64::MAX);
            let train = t.examples(TUNE_EXAMPLES, &mut rng);
            let held = t.examples(64, &mut rng);
            let t0 = Instant::now();
            let res = tune(&t.machine, shape, w, &train, &held, &cfg)?;
            let ok = res.iter().filter(|r| r.recovered).count();
            writeln!(
                out,
                "task {name}: {ok}/{runs} runs recovered a verified program ({:.2} s)",
                t0.elapsed().as_secs_f64()
            )?;
            if let Some(r) = res.iter().find(|r| r.recovered) {
                writeln!(out, "first recovered (Adam step {}):", r.step.unwrap_or(0))?;
                write!(out, "{}", print(&r.program))?;
                if let Some(d) = dest {
                    let c = compile(&r.program, &shape, 0.0, &mut Rng::new(0))?;
                    std::fs::write(d, weights_to_json(&shape, &c) + "\n")
                        .with_context(|| format!("cannot write `{}`", d.display()))?;
                }
            }
            return Ok(if ok > 0 { 0 } else { 1 });
        }
    }
    Ok(0)
}

/// `weft bench anc` flags (the shared `--runs`, `--json`, `--svg`, `--seed`, `--steps`, `--lr`
/// also apply).
#[derive(clap::Args, Debug, Default)]
pub struct AncBenchArgs {
    /// anc: rows (optimization, synthesis, both, near-miss, map-inc, map-dec, loop-noop,
    /// reference) [default: Table 1's rows and near-miss].
    #[arg(long, value_delimiter = ',')]
    pub anc_rows: Vec<String>,
    /// anc: tasks (columns) [default: Table 1's six; `all` adds ANC's tasks].
    #[arg(long, value_delimiter = ',')]
    pub anc_tasks: Vec<String>,
    /// anc: γ of the compilation.
    #[arg(long, default_value_t = 0.3, allow_negative_numbers = true, value_parser = crate::grad_cmd::parse_f32)]
    pub anc_noise: f32,
    /// anc: candidates Both tunes when no template verifies exactly.
    #[arg(long, default_value_t = 3)]
    pub anc_candidates: usize,
    /// anc: run even if a cell's estimated work is beyond the cap (about 10^12 units, most of
    /// an hour on one core); a cell whose tuning would not fit in memory is still refused.
    #[arg(long)]
    pub no_work_cap: bool,
}

pub struct AncRun<'a> {
    pub args: &'a AncBenchArgs,
    pub runs: usize,
    pub json: bool,
    pub svg: Option<&'a Path>,
    pub seed: Option<u64>,
    pub steps: Option<usize>,
    pub lr: Option<f32>,
}

/// The learning rate must be a positive number and the compilation noise γ in 0..=100.
fn check_rates(lr: f32, noise: f32, noise_flag: &str) -> Result<()> {
    if !(lr > 0.0 && lr.is_finite()) {
        bail!("--lr must be a positive number, got {lr}");
    }
    if !(0.0..=100.0).contains(&noise) {
        bail!("{noise_flag} must be in 0..=100, got {noise}");
    }
    Ok(())
}

pub fn bench(b: AncRun<'_>) -> Result<u8> {
    let a = b.args;
    if b.runs == 0 || b.runs > 10_000 {
        bail!("--runs must be in 1..=10000");
    }
    let rows: Vec<Method> = if a.anc_rows.is_empty() {
        Method::table1()
    } else {
        a.anc_rows
            .iter()
            .map(|r| Method::from_name(r).with_context(|| format!("unknown row `{r}`")))
            .collect::<Result<_>>()?
    };
    let tasks: Vec<task::Task> = if a.anc_tasks.is_empty() {
        task::TABLE1
            .iter()
            .map(|n| task::get(n))
            .collect::<Result<_, _>>()?
    } else if a.anc_tasks.iter().any(|t| t == "all") {
        task::all()
    } else {
        a.anc_tasks
            .iter()
            .map(|n| task::get(n))
            .collect::<Result<_, _>>()?
    };
    let mut cfg = Config {
        runs: b.runs,
        noise: a.anc_noise,
        tune_candidates: a.anc_candidates,
        ..Config::default()
    };
    if let Some(s) = b.seed {
        cfg.seed = s;
    }
    if let Some(s) = b.steps {
        if s > MAX_ADAM_STEPS {
            bail!("--steps must be in 0..={MAX_ADAM_STEPS}, got {s}");
        }
        cfg.tune.steps = s;
    }
    if let Some(l) = b.lr {
        cfg.tune.lr = l;
    }
    check_rates(cfg.tune.lr, cfg.noise, "--anc-noise")?;
    // Every cell that tunes is checked before the first one runs: a refusal after an hour of
    // earlier cells would waste that hour.
    for m in &rows {
        for t in &tasks {
            let Some(tuning) = cell_tuning(*m, t, &cfg)? else {
                continue;
            };
            let what = format!("bench anc: cell `{}` × `{}`", m.label(), t.name);
            let less_work = if tuning.tunings > 1 {
                "use fewer runs (--runs), Adam steps (--steps) or candidates (--anc-candidates)"
            } else {
                "use fewer runs (--runs) or Adam steps (--steps)"
            };
            let budget = Budget {
                what: &what,
                machine: &t.machine,
                shape: tuning.shape,
                runs: tuning.runs,
                examples: tuning.examples,
                tunings: tuning.tunings,
                cfg: &cfg.tune,
                less_memory: "use fewer runs (--runs), or leave the row out (--anc-rows) or the \
                              task (--anc-tasks)",
                less_work,
            };
            check_budget(&budget, a.no_work_cap)?;
        }
    }
    let mut cells: Vec<Vec<(CellResult, f64)>> = Vec::new();
    let mut err = std::io::stderr().lock();
    for m in &rows {
        let mut row = Vec::new();
        for t in &tasks {
            let t0 = Instant::now();
            let r = run_cell(*m, t, &cfg)?;
            let secs = t0.elapsed().as_secs_f64();
            let _ = writeln!(
                err,
                "{:24} {:10} {:3}/{} {:6.2} s",
                m.label(),
                t.name,
                r.recovered,
                r.runs,
                secs
            );
            row.push((r, secs));
        }
        cells.push(row);
    }
    let mut out = crate::out::stdout();
    if b.json {
        let v = serde_json::json!({
            "config": {
                "runs": cfg.runs, "seed": cfg.seed, "noise": cfg.noise, "train": cfg.train,
                "heldout": cfg.heldout, "max_pad": cfg.max_pad,
                "tune_candidates": cfg.tune_candidates, "steps": cfg.tune.steps,
                "lr": cfg.tune.lr, "efficiency": cfg.tune.loss.efficiency,
            },
            "tasks": tasks.iter().map(|t| t.name).collect::<Vec<_>>(),
            "rows": rows.iter().zip(&cells).map(|(m, row)| serde_json::json!({
                "method": m.label(),
                "cells": row.iter().zip(&tasks).map(|((r, s), t)| serde_json::json!({
                    "task": t.name, "recovered": r.recovered, "runs": r.runs,
                    "rate": r.recovered as f64 / r.runs as f64, "seconds": s,
                    "candidates": r.candidates, "template": r.template,
                    "median_step": r.median_step,
                    "program": r.program.as_ref().map(print),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        write!(out, "| Algorithm |")?;
        for t in &tasks {
            write!(out, " {} |", t.name)?;
        }
        writeln!(out)?;
        write!(out, "|---|")?;
        for _ in &tasks {
            write!(out, "---:|")?;
        }
        writeln!(out)?;
        for (m, row) in rows.iter().zip(&cells) {
            write!(out, "| {} |", m.label())?;
            for (r, _) in row {
                write!(out, " {:.0}% |", 100.0 * r.recovered as f64 / r.runs as f64)?;
            }
            writeln!(out)?;
        }
        writeln!(out)?;
        writeln!(out, "Wall time per cell ({} runs, seconds):", cfg.runs)?;
        writeln!(out)?;
        write!(out, "| Algorithm |")?;
        for t in &tasks {
            write!(out, " {} |", t.name)?;
        }
        writeln!(out)?;
        write!(out, "|---|")?;
        for _ in &tasks {
            write!(out, "---:|")?;
        }
        writeln!(out)?;
        for (m, row) in rows.iter().zip(&cells) {
            write!(out, "| {} |", m.label())?;
            for (_, s) in row {
                write!(out, " {s:.3} |")?;
            }
            writeln!(out)?;
        }
    }
    if let Some(path) = b.svg {
        let svg = svg(&rows, &tasks, &cells);
        std::fs::write(path, svg).with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(0)
}

/// A grouped bar chart of the recovery rates: one group per task, one bar per row.
fn svg(rows: &[Method], tasks: &[task::Task], cells: &[Vec<(CellResult, f64)>]) -> String {
    const COLORS: [&str; 8] = [
        "#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#e15759", "#edc948", "#b07aa1", "#9c755f",
    ];
    let (left, top, plot_h) = (50.0, 30.0, 240.0);
    let group_w = 24.0 * rows.len() as f64 + 20.0;
    let width = left + group_w * tasks.len() as f64 + 190.0;
    let height = top + plot_h + 60.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{left}\" y=\"18\" font-size=\"13\">Recovery rate over {} runs (seed 003 Table 1, weft)</text>\n",
        cells.first().and_then(|r| r.first()).map_or(0, |c| c.0.runs)
    );
    for k in 0..=4 {
        let y = top + plot_h - plot_h * k as f64 / 4.0;
        s += &format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}%</text>\n",
            left + group_w * tasks.len() as f64,
            left - 4.0,
            y + 4.0,
            k * 25
        );
    }
    for (ti, t) in tasks.iter().enumerate() {
        let gx = left + group_w * ti as f64 + 10.0;
        for (ri, row) in cells.iter().enumerate() {
            let r = &row[ti].0;
            let rate = r.recovered as f64 / r.runs.max(1) as f64;
            let h = plot_h * rate;
            s += &format!(
                "<rect x=\"{}\" y=\"{}\" width=\"20\" height=\"{h}\" fill=\"{}\"><title>{}: {:.0}%</title></rect>\n",
                gx + 24.0 * ri as f64,
                top + plot_h - h,
                COLORS[ri % COLORS.len()],
                rows[ri].label(),
                100.0 * rate
            );
        }
        s += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
            gx + 12.0 * rows.len() as f64,
            top + plot_h + 16.0,
            t.name
        );
    }
    let lx = left + group_w * tasks.len() as f64 + 15.0;
    for (ri, m) in rows.iter().enumerate() {
        let y = top + 14.0 * ri as f64;
        s += &format!(
            "<rect x=\"{lx}\" y=\"{y}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>\n",
            COLORS[ri % COLORS.len()],
            lx + 14.0,
            y + 9.0,
            m.label()
        );
    }
    s += "</svg>\n";
    s
}
