//! The SAT backend's commands and flags: `solve --solver sat` (find, prove, `--minimize`,
//! `--max-fit`, `--all`/`--count`/`--count-models`, `--check-all-inputs`), `export`, and the
//! z3 peer of `bench`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::ValueEnum;
use weft_ir::{Assignment, Graph};
use weft_sat::miter::Check;
use weft_sat::{Enumeration, FitOutcome, HoleEncoding, Sat, SatConfig};
use weft_solve::{Observer, Outcome, Problem};

use crate::cmd::SolveArgs;
use crate::external::{self, Limits};
use crate::load::{self, Loaded, SketchArgs};

/// Flags of `solve` that only the SAT solver understands.
#[derive(clap::Args, Debug, Default)]
pub struct SatArgs {
    /// (sat) Fit as many examples as possible when no program fits them all; report how many
    /// and whether that is proved optimal.
    #[arg(long)]
    pub max_fit: bool,
    /// (sat) Print every distinct program (holes that do not matter are not told apart).
    #[arg(long)]
    pub all: bool,
    /// (sat) Print up to N distinct programs.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// (sat) Count the distinct programs (prints the count only).
    #[arg(long)]
    pub count_models: bool,
    /// (sat) After finding a program, prove that it agrees with --reference on every input of
    /// the declared input types, or print a counterexample.
    #[arg(long)]
    pub check_all_inputs: bool,
    /// (sat) The reference sketch for --check-all-inputs (without holes, or with
    /// --reference-holes).
    #[arg(long, value_name = "FILE")]
    pub reference: Option<PathBuf>,
    /// (sat) The hole file filling the reference sketch.
    #[arg(long, value_name = "FILE")]
    pub reference_holes: Option<PathBuf>,
    /// (sat) Refuse problems whose CNF needs more clauses than this [default: 20000000].
    #[arg(long, value_name = "N")]
    pub max_clauses: Option<usize>,
    /// (sat) How hole values are encoded [default: direct].
    #[arg(long, value_enum)]
    pub hole_encoding: Option<HoleEnc>,
    /// (sat) Encode every example up front instead of adding the examples candidates fail.
    #[arg(long)]
    pub no_cegis: bool,
    /// (sat) Add examples lazily (only those candidates fail) when encoding them all would
    /// take more than this many clauses; below it, all are encoded up front. 0: always lazy
    /// [default: 50000].
    #[arg(long, value_name = "CLAUSES")]
    pub lazy_above: Option<usize>,
    /// (sat) Pin holes that cannot matter (in2 of a NOT gate) to their first value: fewer
    /// symmetric assignments, which helps proofs of impossibility more than searches.
    #[arg(long)]
    pub redundancy: bool,
    /// (sat) CaDiCaL's configuration preset [default: sat].
    #[arg(long, value_enum)]
    pub cadical: Option<CadicalPreset>,
    /// (sat) CaDiCaL alone: no local search racing it for the first program (answers are
    /// then always CaDiCaL's, identical from run to run).
    #[arg(long)]
    pub no_local_search: bool,
}

/// `--cadical`.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum CadicalPreset {
    /// CaDiCaL's defaults.
    Default,
    /// Tuned for satisfiable instances.
    #[default]
    Sat,
    /// Tuned for unsatisfiable instances.
    Unsat,
    /// No pre- or inprocessing.
    Plain,
}

/// `--hole-encoding`.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum HoleEnc {
    /// One literal per value (one-hot).
    #[default]
    Direct,
    /// ⌈log2 n⌉ bits per hole with channelling literals.
    Log,
}

impl SatArgs {
    /// The first SAT-only flag given, if any.
    fn used(&self) -> Option<&'static str> {
        if self.max_fit {
            Some("--max-fit")
        } else if self.all {
            Some("--all")
        } else if self.count.is_some() {
            Some("--count")
        } else if self.count_models {
            Some("--count-models")
        } else if self.check_all_inputs {
            Some("--check-all-inputs")
        } else if self.reference.is_some() {
            Some("--reference")
        } else if self.reference_holes.is_some() {
            Some("--reference-holes")
        } else if self.no_cegis {
            Some("--no-cegis")
        } else if self.redundancy {
            Some("--redundancy")
        } else if self.max_clauses.is_some() {
            Some("--max-clauses")
        } else if self.hole_encoding.is_some() {
            Some("--hole-encoding")
        } else if self.lazy_above.is_some() {
            Some("--lazy-above")
        } else if self.cadical.is_some() {
            Some("--cadical")
        } else if self.no_local_search {
            Some("--no-local-search")
        } else {
            None
        }
    }

    /// `--max-clauses`, or its default (the solver's own).
    pub fn max_clauses(&self) -> usize {
        self.max_clauses
            .unwrap_or_else(|| SatConfig::default().max_clauses)
    }
}

/// An error for SAT-only flags given to another solver (exit 2), if any.
pub fn reject_for_other_solvers(a: &SolveArgs) -> Option<u8> {
    let flag = a.sat.used()?;
    diag!("error: {flag} needs --solver sat");
    Some(2)
}

/// The configuration the flags describe.
pub fn config(a: &SolveArgs) -> SatConfig {
    SatConfig {
        minimize: a.minimize,
        deadline: a.timeout.map(crate::cmd::seconds),
        max_clauses: a.sat.max_clauses(),
        holes: match a.sat.hole_encoding.unwrap_or_default() {
            HoleEnc::Direct => HoleEncoding::Direct,
            HoleEnc::Log => HoleEncoding::Log,
        },
        cegis: !a.sat.no_cegis,
        eager_max: a.sat.lazy_above.unwrap_or(weft_sat::EAGER_MAX),
        seed: a.grad.seed.unwrap_or(0),
        redundancy: a.sat.redundancy,
        local_search: !a.sat.no_local_search,
        preset: match a.sat.cadical.unwrap_or_default() {
            CadicalPreset::Default => weft_sat::Preset::Default,
            CadicalPreset::Sat => weft_sat::Preset::Sat,
            CadicalPreset::Unsat => weft_sat::Preset::Unsat,
            CadicalPreset::Plain => weft_sat::Preset::Plain,
        },
    }
}

/// Shows the bound while minimising, on a terminal.
struct Bound {
    on: bool,
    what: &'static str,
    start: Instant,
    /// What the status line says after its elapsed time ("searching", "best cost so far 3").
    status: String,
    last_draw: Option<Instant>,
}

impl Bound {
    fn new(what: &'static str) -> Bound {
        Bound {
            on: std::io::stderr().is_terminal(),
            what,
            start: Instant::now(),
            status: "searching".to_string(),
            last_draw: None,
        }
    }
    fn clear(&self) {
        if self.on {
            diag_part!("\r\x1b[2K");
        }
    }
}

impl Bound {
    /// Redraws the status line: at once when `force`, else at most twice a second and only
    /// once the solve has run for a second (short solves draw nothing).
    fn draw(&mut self, force: bool) {
        if !self.on {
            return;
        }
        let due = self
            .last_draw
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(500));
        if force || (self.start.elapsed() >= Duration::from_secs(1) && due) {
            self.last_draw = Some(Instant::now());
            diag_part!(
                "\r\x1b[2K  {:.1} s: {}",
                self.start.elapsed().as_secs_f64(),
                self.status
            );
        }
    }
}

impl Observer for Bound {
    fn cancelled(&mut self) -> bool {
        // Polled by CaDiCaL's terminate callback: a heartbeat for long solves.
        self.draw(false);
        crate::interrupt::requested()
    }
    fn improved(&mut self, cost: i64) {
        self.status = format!("best {} so far {cost}, searching for better", self.what);
        self.draw(true);
    }
    fn progress(&mut self, done: u64, _total: Option<u64>) {
        self.status = format!("{done} programs so far");
        self.draw(true);
    }
}

/// `weft solve --solver sat …`.
pub fn solve(a: &SolveArgs, l: &Loaded) -> Result<u8> {
    let g = l.graph();
    let p = Problem {
        graph: g,
        examples: &l.examples,
    };
    let sat = Sat::new(config(a));
    let mut out = crate::out::stdout();
    let listing = a.sat.all || a.sat.count.is_some() || a.sat.count_models;
    let modes = [a.sat.max_fit, listing];
    if modes.iter().filter(|&&m| m).count() > 1 || (a.sat.check_all_inputs && modes.contains(&true))
    {
        diag!("error: --max-fit, --all/--count/--count-models and --check-all-inputs exclude each other");
        return Ok(2);
    }
    if listing && (a.minimize || a.out.is_some()) {
        let flag = if a.minimize { "--minimize" } else { "--out" };
        diag!(
            "error: {flag} does not go with --all/--count/--count-models (they list every \
             program, in no order of cost; --out writes one hole file)"
        );
        return Ok(2);
    }
    if a.sat.count == Some(0) {
        diag!("error: --count must be at least 1 (use --count-models to count them all)");
        return Ok(2);
    }
    if a.sat.check_all_inputs && a.sat.reference.is_none() {
        diag!("error: --check-all-inputs needs --reference FILE (a sketch computing the intended function)");
        return Ok(2);
    }
    if a.sat.max_fit {
        return max_fit(a, g, &sat, &p);
    }
    if listing {
        return list(a, g, &sat, &p);
    }
    let mut obs = Bound::new("cost");
    let r = sat.run(&p, &mut obs);
    obs.clear();
    match r {
        Ok(Outcome::Found {
            assignment,
            cost,
            optimal,
            stats,
        }) => {
            let holes = weft_ir::holes_json::to_json(g, &assignment, Some(cost));
            print_answer(a, g, &assignment, &holes, &mut out)?;
            if !a.json {
                let solver = match stats.found_by {
                    Some(by) => format!("sat ({by})"),
                    None => "sat".to_string(),
                };
                let line = crate::cmd::found_line(
                    &solver,
                    stats.elapsed,
                    &l.examples,
                    g,
                    a.minimize.then_some((cost, optimal)),
                );
                writeln!(out, "{line}")?;
            }
            crate::cmd::save_holes(a.out.as_deref(), &holes)?;
            if a.sat.check_all_inputs {
                drop(out);
                return check_all_inputs(a, g, &assignment);
            }
            Ok(0)
        }
        Ok(Outcome::NoSolution { stats }) => {
            let line = format!(
                "no solution: proved by the solver (CaDiCaL: unsatisfiable, {:.3} s)",
                stats.elapsed.as_secs_f64()
            );
            crate::cmd::report_no_solution(&mut out, a.json, stats.elapsed, &line)?;
            Ok(1)
        }
        Ok(Outcome::GaveUp { reason, .. }) => {
            crate::cmd::report_no_answer(&mut out, a.json, "gave up", &reason)?;
            Ok(3)
        }
        Err(e) => refused(e, a.json),
    }
}

/// Reports an error of the SAT backend: a problem too large for it is refused (exit 3; with
/// `--json`, also as the JSON value on standard output), a mismatch is bad input (exit 2).
fn refused(e: weft_sat::SatError, json: bool) -> Result<u8> {
    match e {
        weft_sat::SatError::TooLarge { .. } | weft_sat::SatError::Weights(_) => {
            crate::cmd::report_no_answer(
                &mut crate::out::stdout(),
                json,
                "refused",
                &e.to_string(),
            )?;
            Ok(3)
        }
        weft_sat::SatError::Mismatch(_) => {
            diag!("error: {e}");
            Ok(2)
        }
        other => Err(anyhow::anyhow!(other)),
    }
}

/// `--max-fit`: the program that fits the most examples, and how many it fits (with `--json`,
/// in the hole file's `fit` object).
fn max_fit(a: &SolveArgs, g: &Graph, sat: &Sat, p: &Problem) -> Result<u8> {
    let mut obs = Bound::new("number of unfitted examples");
    let r = sat.max_fit(p, &mut obs);
    obs.clear();
    let (assignment, fitted, total, cost, optimal, stopped, stats) = match r {
        Ok(FitOutcome::Fitted {
            assignment,
            fitted,
            total,
            cost,
            optimal,
            stopped,
            stats,
        }) => (assignment, fitted, total, cost, optimal, stopped, stats),
        Ok(FitOutcome::GaveUp { reason, .. }) => {
            crate::cmd::report_no_answer(&mut crate::out::stdout(), a.json, "gave up", &reason)?;
            return Ok(3);
        }
        Err(e) => return refused(e, a.json),
    };
    let mut out = crate::out::stdout();
    let holes = weft_ir::holes_json::to_json(g, &assignment, Some(cost));
    if a.json {
        let mut json = holes.clone();
        json["fit"] = serde_json::json!({
            "fitted": fitted, "total": total, "optimal": optimal, "stopped": stopped,
            "seconds": stats.elapsed.as_secs_f64(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        print_answer(a, g, &assignment, &holes, &mut out)?;
        writeln!(
            out,
            "fits {fitted} of {total} examples ({}){}; found by sat in {:.3} s{}",
            if optimal {
                "proved: no program fits more"
            } else {
                "NOT proved optimal"
            },
            if a.minimize {
                format!("; cost {cost}")
            } else {
                String::new()
            },
            stats.elapsed.as_secs_f64(),
            stopped.map(|s| format!(" ({s})")).unwrap_or_default()
        )?;
    }
    crate::cmd::save_holes(a.out.as_deref(), &holes)?;
    Ok(if fitted == total { 0 } else { 1 })
}

/// `--all`, `--count N`, `--count-models`: the distinct programs, printed as they are found,
/// then their number. With `--json`, one object: `programs` (not with `--count-models`),
/// `count`, `complete`, `lower_bound`, `stopped`, `seconds`. Stopped early (a deadline, a
/// cancellation) before all of them or the number asked for, the count is a lower bound and
/// the exit code is 3 (gave up), whatever was listed.
fn list(a: &SolveArgs, g: &Graph, sat: &Sat, p: &Problem) -> Result<u8> {
    let max = if a.sat.all || a.sat.count_models {
        None
    } else {
        a.sat.count
    };
    let mut obs = Bound::new("cost");
    let mut k = 0u64;
    let mut programs = Vec::new();
    let mut out = crate::out::stdout();
    let mut print = |h: &Assignment, cost: i64, free: &[weft_ir::HoleId]| {
        k += 1;
        if a.sat.count_models {
            return;
        }
        if a.json {
            let mut j = weft_ir::holes_json::to_json(g, h, Some(cost));
            // The holes this pattern leaves free (any values give the same program).
            let names: Vec<&str> = free.iter().map(|&f| g.hole(f).name.as_str()).collect();
            if let Some(o) = j.as_object_mut() {
                o.insert("irrelevant_holes".into(), serde_json::json!(names));
            }
            programs.push(j);
        } else {
            let program = weft_ir::answer::answer_with(g, h, free.to_vec()).program;
            let _ = writeln!(out, "== program {k}\n{program}");
        }
    };
    let r = sat.enumerate(p, &mut obs, max, &mut print);
    obs.clear();
    let Enumeration {
        count,
        complete,
        stopped,
        stats,
    } = match r {
        Ok(e) => e,
        Err(e) => return refused(e, a.json),
    };
    // Stopped before listing all of them or the number asked for (deadline, cancellation):
    // the count is only a lower bound, and the solver gave up.
    let gave_up = !complete && max.is_none_or(|m| count < m);
    if a.json {
        let mut json = serde_json::json!({
            "count": count, "complete": complete, "lower_bound": gave_up, "stopped": stopped,
            "seconds": stats.elapsed.as_secs_f64(),
        });
        if !a.sat.count_models {
            json["programs"] = serde_json::Value::Array(programs);
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        writeln!(
            out,
            "{}{count} distinct program{} ({}) in {:.3} s",
            if gave_up { "at least " } else { "" },
            if count == 1 { "" } else { "s" },
            if complete {
                "all of them: proved by the solver".to_string()
            } else if gave_up {
                format!(
                    "a lower bound: {}",
                    stopped.as_deref().unwrap_or("stopped early")
                )
            } else {
                stopped.clone().unwrap_or_default()
            },
            stats.elapsed.as_secs_f64()
        )?;
    }
    if gave_up {
        diag!(
            "gave up: {}; {count} is a lower bound on the number of programs",
            stopped.as_deref().unwrap_or("stopped early")
        );
        return Ok(3);
    }
    Ok(if count > 0 { 0 } else { 1 })
}

/// Prints the program found (or its hole file `holes`, with `--json`); the caller writes
/// `--out` once everything is printed.
fn print_answer(
    a: &SolveArgs,
    g: &Graph,
    h: &Assignment,
    holes: &serde_json::Value,
    out: &mut impl Write,
) -> Result<()> {
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(holes)?)?;
    } else {
        write!(out, "{}", weft_ir::answer::program(g, h))?;
    }
    Ok(())
}

fn check_all_inputs(a: &SolveArgs, g: &Graph, h: &Assignment) -> Result<u8> {
    let Some(file) = &a.sat.reference else {
        return Ok(2);
    };
    let r = load::load(&SketchArgs {
        file: file.clone(),
        ..SketchArgs::default()
    })?;
    let rg = r.graph();
    let ra = match &a.sat.reference_holes {
        Some(p) => {
            let text = crate::input::read_text(p, crate::input::Kind::Holes).map_err(|e| {
                e.with_context(|| format!("cannot read hole file `{}`", p.display()))
            })?;
            match weft_ir::holes_json::from_json(rg, &text) {
                Ok(x) => x,
                Err(e) => {
                    diag!("error: {}: {e}", p.display());
                    return Ok(2);
                }
            }
        }
        None if rg.holes.is_empty() => Assignment(Vec::new()),
        None => {
            diag!(
                "error: the reference `{}` has {} holes: give --reference-holes FILE",
                file.display(),
                rg.holes.len()
            );
            return Ok(2);
        }
    };
    let mut obs = Bound::new("");
    let r = weft_sat::miter::check_all_inputs(
        g,
        h,
        rg,
        &ra,
        a.sat.max_clauses(),
        a.timeout.map(crate::cmd::seconds),
        &mut obs,
    );
    // With --json, standard output holds the hole file alone: the verdict goes to stderr.
    let mut out: Box<dyn Write> = if a.json {
        Box::new(crate::out::Stderr)
    } else {
        Box::new(crate::out::stdout())
    };
    match r {
        Ok(Check::Agree { inputs, elapsed }) => {
            writeln!(
                out,
                "check-all-inputs: agrees with `{}` on every input ({} inputs), proved by the solver in {:.3} s",
                file.display(),
                crate::cmd::show_space(inputs),
                elapsed.as_secs_f64()
            )?;
            Ok(0)
        }
        Ok(Check::Counterexample {
            inputs,
            program,
            reference,
            observation_failed,
        }) => {
            let show = |slots: &[weft_ir::Slot], vals: &[u32]| -> String {
                slots
                    .iter()
                    .zip(vals)
                    .map(|(s, &v)| format!("{} = {}", s.name, g.domain(s.domain).show(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let outs: Vec<weft_ir::Slot> = g.outputs.iter().map(|o| o.slot.clone()).collect();
            writeln!(out, "check-all-inputs: COUNTEREXAMPLE")?;
            writeln!(out, "  input:     {}", show(&g.inputs, &inputs))?;
            writeln!(out, "  program:   {}", show(&outs, &program))?;
            writeln!(out, "  reference: {}", show(&outs, &reference))?;
            if observation_failed {
                writeln!(out, "  (an observation of the program fails on this input)")?;
            }
            Ok(1)
        }
        Ok(Check::GaveUp(reason)) => {
            diag!("check-all-inputs gave up: {reason}");
            Ok(3)
        }
        // The hole file is already out: a refusal is a message only.
        Err(e) => refused(e, false),
    }
}

/// `weft export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub sketch: SketchArgs,
    /// The format to write.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Refuse problems whose CNF needs more clauses than this (or SMT-LIB `ite` leaves).
    #[arg(long, value_name = "N", default_value_t = 20_000_000)]
    pub max_clauses: usize,
    /// (smtlib) Ask for a program of least total cost: `(minimize weft_cost)` before
    /// `(check-sat)` (a z3 / OptiMathSAT extension of SMT-LIB; the cost itself is always
    /// defined, as `weft_cost`).
    #[arg(long)]
    pub minimize: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportFormat {
    /// DIMACS CNF (the clauses `--solver sat` solves), hole variables in comments.
    Dimacs,
    /// SMT-LIB2 (QF_LIA): holes as bounded Int, nodes as define-fun, examples as asserts.
    Smtlib,
}

pub fn export(a: &ExportArgs) -> Result<u8> {
    let l = load::load(&a.sketch)?;
    if a.minimize && matches!(a.format, ExportFormat::Dimacs) {
        diag!(
            "error: --minimize needs --format smtlib (DIMACS has no objective; solve with \
             `weft solve --minimize` or hand the SMT-LIB script to z3)"
        );
        return Ok(2);
    }
    let text = match export_text(&l, a.format, a.max_clauses, a.minimize) {
        Ok(t) => t,
        Err(e) => return refused(e, false),
    };
    match &a.out {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("cannot write `{}`", p.display()))?
        }
        None => crate::out::stdout().write_all(text.as_bytes())?,
    }
    Ok(0)
}

pub fn export_text(
    l: &Loaded,
    f: ExportFormat,
    max: usize,
    minimize: bool,
) -> Result<String, weft_sat::SatError> {
    match f {
        ExportFormat::Dimacs => weft_sat::export::dimacs(l.graph(), &l.examples, max),
        ExportFormat::Smtlib => weft_sat::export::smtlib(l.graph(), &l.examples, max, minimize),
    }
}

/// The z3 peer of `bench`: z3 on weft's SMT-LIB export. `None` when `z3` is not installed.
pub enum Peer {
    Solved(Duration),
    Unsat(Duration),
    TimedOut,
    /// z3 answered something the exact evaluator rejects, or failed.
    Failed(String),
}

pub fn z3_available() -> bool {
    external::output(Command::new("z3").arg("--version"), Limits::default())
        .is_ok_and(|o| o.status.success())
}

/// Runs z3 once on the export in `path`, with a timeout; a `sat` answer is checked by the
/// exact evaluator.
pub fn z3_run(l: &Loaded, path: &Path, timeout: f64) -> Peer {
    let start = Instant::now();
    let o = external::output(
        Command::new("z3")
            .arg(format!("-T:{}", timeout.ceil().max(1.0) as u64))
            .arg(path),
        Limits::default(),
    );
    let t = start.elapsed();
    let o = match o {
        Ok(o) => o,
        Err(e) => return Peer::Failed(e.to_string()),
    };
    let text = String::from_utf8_lossy(&o.stdout);
    let first = text.lines().next().unwrap_or("").trim();
    match first {
        "sat" => match weft_sat::export::parse_values(l.graph(), &text) {
            Some(a) => {
                let mut ev = match weft_ir::Evaluator::new(l.graph()) {
                    Ok(e) => e,
                    Err(e) => return Peer::Failed(e.to_string()),
                };
                match ev.passes_all(l.graph(), &a, &l.examples) {
                    Ok(true) => Peer::Solved(t),
                    _ => Peer::Failed("z3's model fails the exact evaluator".into()),
                }
            }
            None => Peer::Failed("cannot read z3's model".into()),
        },
        "unsat" => Peer::Unsat(t),
        "timeout" | "unknown" => Peer::TimedOut,
        other => Peer::Failed(format!("z3 said `{other}`")),
    }
}

fn median(mut v: Vec<Duration>) -> Option<Duration> {
    v.sort();
    v.get(v.len() / 2).copied()
}

/// `weft bench terpret --solver sat`: every task, its CNF size, weft's median time and result,
/// and z3 on weft's own SMT-LIB export of the same task in the same run.
pub fn bench(a: &crate::bench::BenchArgs) -> Result<u8> {
    let tasks_path = a.dir.join("tasks.json");
    let text = crate::input::read_text(&tasks_path, crate::input::Kind::Tasks)
        .map_err(|e| e.with_context(|| format!("cannot read `{}`", tasks_path.display())))?;
    let tasks: Vec<serde_json::Value> = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not a JSON array of tasks", tasks_path.display()))?;
    let z3 = z3_available();
    let tmp = std::env::temp_dir().join(format!("weft-bench-{}", std::process::id()));
    if z3 {
        std::fs::create_dir_all(&tmp)?;
    }
    let mut rows = Vec::new();
    for t in &tasks {
        let (name, args) = crate::bench::task_args(&a.dir, t)?;
        if a.only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        let l = load::load(&args).map_err(|_| anyhow::anyhow!("task `{name}` does not load"))?;
        let g = l.graph();
        let size = weft_sat::size(g, &l.examples, 20_000_000).ok();
        let p = Problem {
            graph: g,
            examples: &l.examples,
        };
        let mut times = Vec::new();
        let mut result = String::new();
        let (mut by_local, mut by_near) = (0, 0);
        // Each repetition is another solver path (seed 1, 2, …: the order examples are
        // encoded in, and the local search's seed): one path repeated would only measure the
        // machine's noise.
        for r in 0..a.repeat {
            let sat = Sat::new(SatConfig {
                deadline: Some(crate::cmd::seconds(a.timeout)),
                seed: u64::from(r) + 1,
                ..SatConfig::default()
            });
            match sat.run(&p, &mut weft_solve::NoopObserver) {
                Ok(Outcome::Found { stats, .. }) => {
                    result = "solved".into();
                    times.push(stats.elapsed);
                    by_local += usize::from(stats.found_by == Some(weft_sat::LOCAL));
                    by_near += usize::from(stats.found_by == Some(weft_sat::NEIGHBOURHOOD));
                }
                Ok(Outcome::NoSolution { stats }) => {
                    result = "proved: no solution".into();
                    times.push(stats.elapsed);
                }
                Ok(Outcome::GaveUp { .. }) => {
                    result = format!("timeout ({} s)", a.timeout);
                    break;
                }
                Err(e) => {
                    result = format!("error: {e}");
                    break;
                }
            }
        }
        let ours = if times.len() == a.repeat as usize {
            median(times)
        } else {
            None
        };
        let mut peer = "z3 not installed".to_string();
        let mut peer_t = None;
        if z3 {
            let path = tmp.join(format!("{name}.smt2"));
            match export_text(&l, ExportFormat::Smtlib, 50_000_000, false) {
                Ok(s) => {
                    std::fs::write(&path, s)?;
                    let mut zt = Vec::new();
                    for _ in 0..a.repeat {
                        match z3_run(&l, &path, a.timeout) {
                            Peer::Solved(t) => {
                                peer = "solved".into();
                                zt.push(t);
                            }
                            Peer::Unsat(t) => {
                                peer = "proved: no solution".into();
                                zt.push(t);
                            }
                            Peer::TimedOut => {
                                peer = format!("timeout ({} s)", a.timeout);
                                break;
                            }
                            Peer::Failed(e) => {
                                peer = format!("failed: {e}");
                                break;
                            }
                        }
                    }
                    if zt.len() == a.repeat as usize {
                        peer_t = median(zt);
                    }
                }
                Err(e) => peer = format!("export refused: {e}"),
            }
        }
        if by_local + by_near > 0 {
            result = format!(
                "{result} ({by_local}/{n} by the local search, {by_near}/{n} around its assignment)",
                n = a.repeat
            );
        }
        rows.push((name, size, result, ours, peer, peer_t));
    }
    if z3 {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    let show =
        |d: Option<Duration>| d.map_or("—".to_string(), |d| format!("{:.4} s", d.as_secs_f64()));
    let mut out = crate::out::stdout();
    if a.json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, size, result, ours, peer, peer_t)| {
                serde_json::json!({
                    "task": name, "vars": size.map(|s| s.vars), "clauses": size.map(|s| s.clauses),
                    "result": result, "median_seconds": ours.map(|d| d.as_secs_f64()),
                    "z3_result": peer, "z3_median_seconds": peer_t.map(|d| d.as_secs_f64()),
                })
            })
            .collect();
        let meta = serde_json::json!({
            "suite": a.suite, "solver": "sat", "peer": "z3 on weft's SMT-LIB export",
            "repeat": a.repeat, "timeout_seconds": a.timeout, "tasks": v,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&meta)?)?;
        return Ok(0);
    }
    writeln!(
        out,
        "solver: sat (CaDiCaL, with the local search racing it) — median of {} run(s), seeds 1..={}; timeout {} s; peer: z3 on weft's SMT-LIB export, same run\n",
        a.repeat, a.repeat, a.timeout
    )?;
    writeln!(out, "| task | variables | clauses | result | time (median) | z3 result | z3 time (median) | speed-up |")?;
    writeln!(out, "|---|---:|---:|---|---:|---|---:|---:|")?;
    for (name, size, result, ours, peer, peer_t) in &rows {
        let speed = match (ours, peer_t) {
            (Some(o), Some(z)) => format!("{:.1}×", z.as_secs_f64() / o.as_secs_f64().max(1e-6)),
            (Some(_), None) if peer.starts_with("timeout") => format!(
                "> {:.0}×",
                a.timeout / ours.map_or(1.0, |o| o.as_secs_f64().max(1e-6))
            ),
            _ => "—".into(),
        };
        writeln!(
            out,
            "| {name} | {} | {} | {result} | {} | {peer} | {} | {speed} |",
            size.map_or("—".into(), |s| s.vars.to_string()),
            size.map_or("—".into(), |s| s.clauses.to_string()),
            show(*ours),
            show(*peer_t),
        )?;
    }
    Ok(0)
}
