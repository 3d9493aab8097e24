//! The subcommands.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use weft_ir::{Assignment, Graph};
use weft_solve::{Observer, Outcome, Problem, Solve};
use weft_syntax::SourceMap;

use crate::load::{self, Failed, Loaded, SketchArgs};

const EXIT_CODES: &str = "\
Exit codes:
  0  success: the sketch checks, every example passes, a program was found
  1  a definite no: `run` found failing examples, `solve` proved that no program fits
  2  bad input: a malformed sketch, data, hypers or hole file, or bad flags
  3  the solver gave up (search-space limit, timeout) without an answer either way; a `kanren`
     run was stopped (--steps, --timeout, --max-vars, Ctrl-C) after printing what it found";

/// weft learns programs by filling holes: write a sketch, give examples, and weft finds the
/// program, checks it exactly, and prints it.
#[derive(Parser, Debug)]
#[command(name = "weft", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse and type-check a sketch and its examples; print a one-line summary.
    #[command(after_help = EXIT_CODES)]
    Check(SketchArgs),
    /// Print the sketch's IR: node counts, domains, tables, nodes, observations, costs.
    #[command(after_help = EXIT_CODES)]
    Ir(SketchArgs),
    /// Evaluate a filled sketch (a hole file) on every example and report which pass.
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Fill the holes with a solver; print the program found, or why there is none.
    #[command(after_help = EXIT_CODES)]
    Solve(SolveArgs),
    /// Solve a few built-in TerpreT benchmark tasks and print the programs found.
    #[command(after_help = EXIT_CODES)]
    Demo,
    /// Time a solver on a benchmark suite and print one table.
    #[command(after_help = EXIT_CODES)]
    Bench(crate::bench::BenchArgs),
    /// Run the `run` forms of a miniKanren file and print their answers.
    #[command(after_help = EXIT_CODES)]
    Kanren(crate::kanren_cmd::KanrenArgs),
    /// Minimal assembly: run, compile to weights, decompile, tune (seed 003).
    #[command(after_help = EXIT_CODES)]
    Asm(crate::asm_cmd::AsmArgs),
    /// Write the problem as DIMACS CNF or SMT-LIB2, for any other solver.
    #[command(after_help = EXIT_CODES)]
    Export(crate::sat_cmd::ExportArgs),
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub sketch: SketchArgs,
    /// The hole file (as written by `weft solve --json` or `--out`); its `sketch` and `params`,
    /// where given, must be this sketch's.
    #[arg(long, value_name = "FILE")]
    pub holes: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SolverName {
    /// Exhaustive search over every hole assignment (the reference solver).
    Enumerate,
    /// CaDiCaL on a CNF encoding: finds a program or proves none exists; optimal costs.
    Sat,
    /// Local search over hole assignments ((1 + 4)-ES with neutral drift): finds programs,
    /// proves nothing; `--solver sat` runs it beside CaDiCaL.
    Local,
    /// Continuous relaxation (TerpreT's FMGD): softmax of logits, Adam (weft-grad).
    Fmgd,
    /// FMGD with an entropy penalty towards discrete values.
    FmgdReg,
    /// Softmax with an annealed temperature.
    Temp,
    /// Annealed softmax with the entropy penalty.
    TempReg,
    /// Gumbel-softmax relaxation.
    Gumbel,
    /// Neural reparameterisation of the logits.
    Neural,
    /// Straight-through estimator (one-hot forward, latent logits).
    Ste,
    /// Bop (γ, τ): thresholded flips on a running average of the gradient.
    Bop,
    /// GradSearch: the best Hamming-1 move by a first-order Taylor estimate.
    Gradsearch,
    /// GradSearch on a running average (β) of the gradient.
    GradsearchRa,
    /// GradSearch+: running average, ε-greedy moves, smoothing, example re-weighting.
    GradsearchPlus,
}

#[derive(clap::Args, Debug)]
pub struct SolveArgs {
    #[command(flatten)]
    pub sketch: SketchArgs,
    /// Which solver fills the holes.
    #[arg(long, value_enum, default_value = "sat")]
    pub solver: SolverName,
    /// (enumerate) Refuse searches larger than this many assignments [default: 1e8].
    #[arg(long, allow_negative_numbers = true)]
    pub limit: Option<f64>,
    /// Find a program of least total cost (the sketch's `cost` statements), not the first one.
    #[arg(long)]
    pub minimize: bool,
    /// Give up after this many seconds.
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub timeout: Option<f64>,
    /// Print the hole file (JSON) instead of the program.
    #[arg(long)]
    pub json: bool,
    /// Also write the hole file here.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub grad: crate::grad_cmd::GradArgs,
    #[command(flatten)]
    pub sat: crate::sat_cmd::SatArgs,
}

pub fn run(cli: Cli) -> Result<u8> {
    let r = match cli.command {
        Command::Check(a) => check(&a),
        Command::Ir(a) => ir(&a),
        Command::Run(a) => run_holes(&a),
        Command::Solve(a) => solve(&a),
        Command::Demo => demo(),
        Command::Bench(a) => crate::bench::bench(&a),
        Command::Kanren(a) => crate::kanren_cmd::kanren(&a),
        Command::Asm(a) => crate::asm_cmd::asm(&a),
        Command::Export(a) => crate::sat_cmd::export(&a),
    };
    match r {
        Ok(code) => Ok(code),
        Err(e) if e.downcast_ref::<Failed>().is_some() => Ok(2),
        Err(e) => Err(e),
    }
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "failed (diagnostics printed)")
    }
}
impl std::error::Error for Failed {}

fn load(a: &SketchArgs) -> Result<Loaded> {
    Ok(load::load(a)?)
}

fn check(a: &SketchArgs) -> Result<u8> {
    let l = load(a)?;
    let g = l.graph();
    let mut out = crate::out::stdout();
    writeln!(
        out,
        "{}: ok — sketch `{}`, {} holes (search space {}), {} inputs, {} outputs, {}, {} nodes",
        a.file.display(),
        g.name,
        g.holes.len(),
        show_graph_space(g),
        g.inputs.len(),
        g.outputs.len(),
        count_examples(g, &l.examples),
        g.nodes.len()
    )?;
    Ok(0)
}

/// "4 examples", or "1 example (implicit)" for a sketch without inputs (see `Evaluation`).
pub fn count_examples(g: &Graph, ex: &weft_ir::Examples) -> String {
    match (ex.len(), g.inputs.is_empty()) {
        (0, true) => "1 example (implicit: the sketch has no inputs)".to_string(),
        (1, _) => "1 example".to_string(),
        (n, _) => format!("{n} examples"),
    }
}

/// A search space (or another count) as a plain number while it is short, else as a power of
/// two.
pub fn show_space(s: f64) -> String {
    show_space_log2(s, s.log2())
}

/// A graph's search space as [`show_space`] shows it, the power of two computed in log space
/// (a sum of the holes' log2 sizes), so that a huge sketch shows `2^N`, not `2^inf`.
pub fn show_graph_space(g: &Graph) -> String {
    show_space_log2(g.search_space(), g.search_space_log2())
}

/// `s` while it is below a million, else `2^log2`.
fn show_space_log2(s: f64, log2: f64) -> String {
    if s < 1e6 {
        format!("{s}")
    } else {
        format!("2^{log2:.1}")
    }
}

fn ir(a: &SketchArgs) -> Result<u8> {
    let l = load(a)?;
    let mut out = crate::out::stdout();
    write!(out, "{}", weft_ir::dump::dump(l.graph()))?;
    Ok(0)
}

fn run_holes(a: &RunArgs) -> Result<u8> {
    let l = load(&a.sketch)?;
    let g = l.graph();
    let text = crate::input::read_text(&a.holes, crate::input::Kind::Holes)
        .map_err(|e| e.with_context(|| format!("cannot read hole file `{}`", a.holes.display())))?;
    let holes = match weft_ir::holes_json::from_json(g, &text) {
        Ok(h) => h,
        Err(e) => {
            diag!("error: {}: {e}", a.holes.display());
            return Ok(2);
        }
    };
    let mut ev = weft_ir::eval::Evaluator::new(g).context("preparing the evaluator")?;
    let r = ev
        .evaluate(g, &holes, &l.examples)
        .context("evaluating the hole file")?;
    let passed = r.passed.iter().filter(|&&p| p).count();
    let total = r.passed.len();
    let mut out = crate::out::stdout();
    if a.json {
        let failing: Vec<&str> = r
            .passed
            .iter()
            .enumerate()
            .filter(|(_, &p)| !p)
            .map(|(i, _)| {
                l.examples
                    .origins
                    .get(i)
                    .map_or("implicit example", |s| s.as_str())
            })
            .collect();
        let v = serde_json::json!({
            "passed": passed, "total": total, "cost": r.cost, "failing": failing,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        write!(out, "{}", weft_ir::answer::program(g, &holes))?;
        for (i, p) in r.passed.iter().enumerate() {
            if !p {
                let origin = l
                    .examples
                    .origins
                    .get(i)
                    .map_or("implicit example", |s| s.as_str());
                writeln!(out, "FAIL example {} ({origin})", i + 1)?;
                for line in failure_details(&l, &r, i).iter().take(8) {
                    writeln!(out, "  {line}")?;
                }
            }
        }
        writeln!(out, "{passed}/{total} examples pass; cost {}", r.cost)?;
    }
    Ok(if passed == total { 0 } else { 1 })
}

/// Writes the hole file of `--out`, if there is one. Called once the answer is on standard
/// output, so that a path that cannot be written does not lose the answer (the error then
/// names the path: exit 2).
pub fn save_holes(path: Option<&Path>, json: &serde_json::Value) -> Result<()> {
    if let Some(p) = path {
        std::fs::write(p, serde_json::to_string_pretty(json)? + "\n")
            .with_context(|| format!("cannot write `{}`", p.display()))?;
    }
    Ok(())
}

/// "found by sat in 0.012 s; verified on 4 examples; cost 3, proved optimal".
pub fn found_line(
    solver: &str,
    t: Duration,
    ex: &weft_ir::Examples,
    g: &Graph,
    minimized: Option<(i64, bool)>,
) -> String {
    let cost = match minimized {
        Some((cost, true)) => format!("; cost {cost}, proved optimal"),
        Some((cost, false)) => format!("; cost {cost}, NOT proved optimal (search cut short)"),
        None => String::new(),
    };
    format!(
        "found by {solver} in {:.3} s; verified on {}{cost}",
        t.as_secs_f64(),
        count_examples(g, ex)
    )
}

/// Why example `i` fails: its wrong outputs and its false observations.
fn failure_details(l: &Loaded, r: &weft_ir::Evaluation, i: usize) -> Vec<String> {
    let g = l.graph();
    let mut lines = Vec::new();
    for (o, out) in g.outputs.iter().enumerate() {
        let got = r.outputs[o][i];
        if let Some(want) = l
            .examples
            .expected
            .get(o)
            .and_then(|col| col.get(i).copied().flatten())
        {
            if got != want {
                let d = g.domain(out.slot.domain);
                lines.push(format!(
                    "{} = {}, expected {}",
                    out.slot.name,
                    d.show(got),
                    d.show(want)
                ));
            }
        }
    }
    let file = l.map.get(l.file);
    for &k in r
        .failed_observations
        .get(i)
        .map_or(&[][..], |v| v.as_slice())
    {
        let span = g.observations[k].span;
        let (line, col) = file.line_col(span.start);
        let text = file
            .text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("");
        lines.push(format!(
            "observation `{text}` fails ({}:{line}:{col})",
            file.name
        ));
    }
    lines
}

/// The longest wait a flag can ask for: ten years. A longer one is as good as none, and
/// `Instant + Duration` must not overflow.
const MAX_WAIT: Duration = Duration::from_secs(315_360_000);

/// A number of seconds from the command line (`--timeout`, `--cap`) as a [`Duration`], at most
/// [`MAX_WAIT`]: `--timeout 1e19` is accepted as no deadline at all, never a panic.
pub fn seconds(t: f64) -> Duration {
    Duration::try_from_secs_f64(t).map_or(MAX_WAIT, |d| d.min(MAX_WAIT))
}

/// Draws enumeration progress on a terminal.
struct Progress {
    on: bool,
    last: Instant,
}

impl Observer for Progress {
    fn cancelled(&mut self) -> bool {
        crate::interrupt::requested()
    }
    fn progress(&mut self, done: u64, total: Option<u64>) {
        if !self.on || self.last.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last = Instant::now();
        let mut err = std::io::stderr().lock();
        let _ = match total {
            Some(t) if t > 0 => write!(
                err,
                "\r  searched {done} / {t} ({:.1}%)",
                100.0 * done as f64 / t as f64
            ),
            _ => write!(err, "\r  searched {done}"),
        };
    }
}

impl Progress {
    fn new() -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            last: Instant::now(),
        }
    }
    fn clear(&self) {
        if self.on {
            diag_part!("\r\x1b[2K");
        }
    }
}

/// The outcome of one solve, already re-checked.
pub enum Solved {
    Found(Assignment, i64, bool, Duration),
    NoSolution(Duration),
    /// Stopped by a limit or deadline.
    GaveUp(String),
    /// Refused to start (e.g. the search space is above the limit).
    Refused(String),
}

pub fn solve_loaded(
    l: &Loaded,
    solver: SolverName,
    limit: f64,
    minimize: bool,
    timeout: Option<f64>,
    seed: u64,
) -> Result<Solved> {
    let g = l.graph();
    let problem = Problem {
        graph: g,
        examples: &l.examples,
    };
    let mut s: Box<dyn Solve> = match solver {
        SolverName::Enumerate => {
            let mut e = weft_solve::enumerate::Enumerate::default()
                .with_limit(limit)
                .with_minimize(minimize);
            if let Some(t) = timeout {
                e = e.with_deadline(Some(seconds(t)));
            }
            Box::new(e)
        }
        SolverName::Sat => Box::new(
            weft_sat::Sat::default()
                .with_minimize(minimize)
                .with_deadline(timeout.map(seconds)),
        ),
        SolverName::Local => Box::new(weft_solve::Local::new(weft_solve::LocalConfig {
            seed,
            deadline: timeout.map(seconds),
            ..Default::default()
        })),
        other => match crate::grad_cmd::solver(other, timeout) {
            Some(s) => s,
            None => {
                return Ok(Solved::Refused(format!(
                    "solver {other:?} is not wired here"
                )))
            }
        },
    };
    let mut progress = Progress::new();
    let r = s.solve(&problem, &mut progress);
    progress.clear();
    match r {
        Ok(Outcome::Found {
            assignment,
            cost,
            optimal,
            stats,
        }) => {
            // The invariant: no solver grades itself.
            let mut ev = weft_ir::eval::Evaluator::new(g).context("preparing the evaluator")?;
            let e = ev
                .evaluate(g, &assignment, &l.examples)
                .context("re-checking the solver's answer")?;
            anyhow::ensure!(
                e.all_passed,
                "internal error: the solver's answer fails the exact evaluator"
            );
            Ok(Solved::Found(assignment, cost, optimal, stats.elapsed))
        }
        Ok(Outcome::NoSolution { stats }) => Ok(Solved::NoSolution(stats.elapsed)),
        Ok(Outcome::GaveUp { reason, .. }) => Ok(Solved::GaveUp(reason)),
        Err(e) => Ok(Solved::Refused(e.to_string())),
    }
}

fn solve(a: &SolveArgs) -> Result<u8> {
    if a.limit.is_some_and(|l| l.is_nan() || l <= 0.0) {
        diag!("error: --limit must be positive");
        return Ok(2);
    }
    if let Some(t) = a.timeout {
        if !(t > 0.0 && t.is_finite()) {
            diag!("error: --timeout must be a positive number of seconds");
            return Ok(2);
        }
    }
    if let Some(code) = reject_unused(a) {
        return Ok(code);
    }
    let l = load(&a.sketch)?;
    if let Some(m) = crate::grad_cmd::method(a.solver) {
        return crate::grad_cmd::solve(a, m, &l);
    }
    if matches!(a.solver, SolverName::Sat) {
        return crate::sat_cmd::solve(a, &l);
    }
    let g = l.graph();
    let mut out = crate::out::stdout();
    match solve_loaded(
        &l,
        a.solver,
        a.limit.unwrap_or(1e8),
        a.minimize,
        a.timeout,
        a.grad.seed.unwrap_or(0),
    )? {
        Solved::Found(h, cost, optimal, t) => {
            let json = weft_ir::holes_json::to_json(g, &h, Some(cost));
            if a.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
            } else {
                write!(out, "{}", weft_ir::answer::program(g, &h))?;
                let solver = format!("{:?}", a.solver).to_lowercase();
                let line = found_line(
                    &solver,
                    t,
                    &l.examples,
                    g,
                    a.minimize.then_some((cost, optimal)),
                );
                writeln!(out, "{line}")?;
            }
            save_holes(a.out.as_deref(), &json)?;
            Ok(0)
        }
        Solved::NoSolution(t) => {
            let line = match a.solver {
                SolverName::Enumerate => format!(
                    "no solution: proved by exhaustive search ({} assignments, {:.3} s)",
                    show_graph_space(g),
                    t.as_secs_f64()
                ),
                SolverName::Sat => format!(
                    "no solution: proved by the solver (CaDiCaL: unsatisfiable, {:.3} s)",
                    t.as_secs_f64()
                ),
                SolverName::Local => format!(
                    "no solution: the sketch has no assignment that local search could change, \
                     and the only one fails ({:.3} s)",
                    t.as_secs_f64()
                ),
                _ => format!("no solution ({:.3} s)", t.as_secs_f64()),
            };
            report_no_solution(&mut out, a.json, t, &line)?;
            Ok(1)
        }
        Solved::GaveUp(reason) => {
            report_no_answer(&mut out, a.json, "gave up", &reason)?;
            Ok(3)
        }
        Solved::Refused(reason) => {
            report_no_answer(&mut out, a.json, "refused", &reason)?;
            Ok(3)
        }
    }
}

/// A solve that proved there is no program: `line` on standard output, or with `--json` the
/// JSON value of [`no_answer_json`] there and `line` on standard error.
pub fn report_no_solution(
    out: &mut impl Write,
    json: bool,
    elapsed: Duration,
    line: &str,
) -> Result<()> {
    if json {
        no_answer_json(out, "no solution", Some(elapsed), None)?;
        diag!("{line}");
    } else {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// A solve that ended without an answer either way (`status`: "gave up", "refused"):
/// `status: reason` on standard error, and with `--json` the JSON value of [`no_answer_json`]
/// on standard output.
pub fn report_no_answer(
    out: &mut impl Write,
    json: bool,
    status: &str,
    reason: &str,
) -> Result<()> {
    if json {
        no_answer_json(out, status, None, Some(reason))?;
    }
    diag!("{status}: {reason}");
    Ok(())
}

/// With `--json`, what standard output holds when `solve` returns no program, so that it is
/// one JSON value whatever the outcome: `{"status": "no solution", "proved": true, "seconds":
/// …}`, or `{"status": "gave up" | "refused", "proved": false, "reason": …}`. The readable
/// line goes to standard error.
fn no_answer_json(
    out: &mut impl Write,
    status: &str,
    elapsed: Option<Duration>,
    reason: Option<&str>,
) -> Result<()> {
    let mut json = serde_json::json!({ "status": status, "proved": status == "no solution" });
    if let Some(t) = elapsed {
        json["seconds"] = serde_json::json!(t.as_secs_f64());
    }
    if let Some(r) = reason {
        json["reason"] = serde_json::json!(r);
    }
    writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    Ok(())
}

/// An error for flags the chosen solver would ignore (exit 2), if any: the SAT-only flags for
/// every other solver, and `--minimize` for the gradient solvers (they do not optimise the
/// cost; `--cost-weight` weighs it in their loss).
fn reject_unused(a: &SolveArgs) -> Option<u8> {
    if a.limit.is_some() && !matches!(a.solver, SolverName::Enumerate) {
        diag!(
            "error: --limit needs --solver enumerate (the search-space limit of exhaustive search)"
        );
        return Some(2);
    }
    if crate::grad_cmd::method(a.solver).is_none() {
        if let Some(flag) = a.grad.used() {
            diag!("error: {flag} is a flag of the gradient solvers (--solver fmgd, bop, …)");
            return Some(2);
        }
        if a.grad.seed.is_some() && !matches!(a.solver, SolverName::Sat | SolverName::Local) {
            diag!("error: --seed needs --solver sat, local or a gradient solver");
            return Some(2);
        }
    }
    if let Some(m) = crate::grad_cmd::method(a.solver) {
        if let Some(flag) = a.grad.unused_by(m) {
            let readers: Vec<&str> = weft_grad::Method::ALL
                .into_iter()
                .filter(|x| x.uses(&flag[2..]))
                .map(|x| x.name())
                .collect();
            diag!(
                "error: {flag} does not apply to --solver {m} (it is read by {})",
                readers.join(", ")
            );
            return Some(2);
        }
    }
    if matches!(a.solver, SolverName::Sat) {
        return None;
    }
    if let Some(code) = crate::sat_cmd::reject_for_other_solvers(a) {
        return Some(code);
    }
    if a.minimize && matches!(a.solver, SolverName::Local) {
        diag!("error: --minimize needs --solver sat or enumerate (local search does not minimise)");
        return Some(2);
    }
    if a.minimize && crate::grad_cmd::method(a.solver).is_some() {
        diag!(
            "error: --minimize needs --solver sat or enumerate (the gradient solvers do not \
             minimise the cost; --cost-weight adds it to their loss)"
        );
        return Some(2);
    }
    None
}

/// The built-in tasks of `weft demo`: (title, sketch name, sketch text, data, hypers, --set).
type DemoTask = (
    &'static str,
    &'static str,
    &'static str,
    Option<(&'static str, &'static str)>,
    Option<(&'static str, &'static str)>,
    &'static [(&'static str, i64)],
);

const DEMO: &[DemoTask] = &[
    (
        "parity chain, K = 8 (the TerpreT problem)",
        "parity_chain.wft",
        include_str!("../../../benchmarks/terpret/parity_chain.wft"),
        None,
        None,
        &[("K", 8)],
    ),
    (
        "Boolean circuit: NAND from AND/OR/XOR/NOT/NOP gates",
        "circuit.wft",
        include_str!("../../../benchmarks/terpret/circuit.wft"),
        Some((
            "circuit_nand_data.json",
            include_str!("../../../benchmarks/terpret/data/circuit_nand_data.json"),
        )),
        Some((
            "circuit_nand_hypers.json",
            include_str!("../../../benchmarks/terpret/data/circuit_nand_hypers.json"),
        )),
        &[],
    ),
    (
        "Boolean circuit: swap two wires with three gates (TerpreT W3_G3_O2)",
        "circuit.wft",
        include_str!("../../../benchmarks/terpret/circuit.wft"),
        Some((
            "circuit_swap_data.json",
            include_str!("../../../benchmarks/terpret/data/circuit_swap_data.json"),
        )),
        Some((
            "circuit_swap_hypers.json",
            include_str!("../../../benchmarks/terpret/data/circuit_swap_hypers.json"),
        )),
        &[],
    ),
    (
        "Boolean circuit: the 1-bit full adder from five gates (TerpreT W4_G5_O2)",
        "circuit.wft",
        include_str!("../../../benchmarks/terpret/circuit.wft"),
        Some((
            "circuit_adder_data.json",
            include_str!("../../../benchmarks/terpret/data/circuit_adder_data.json"),
        )),
        Some((
            "circuit_adder_hypers.json",
            include_str!("../../../benchmarks/terpret/data/circuit_adder_hypers.json"),
        )),
        &[],
    ),
    (
        "Turing machine: decrement a binary number on the tape (TerpreT)",
        "turing.wft",
        include_str!("../../../benchmarks/terpret/turing.wft"),
        Some((
            "turing_decrement_data.json",
            include_str!("../../../benchmarks/terpret/data/turing_decrement_data.json"),
        )),
        Some((
            "turing_decrement_hypers.json",
            include_str!("../../../benchmarks/terpret/data/turing_decrement_hypers.json"),
        )),
        &[],
    ),
];

fn demo() -> Result<u8> {
    let mut out = crate::out::stdout();
    writeln!(
        out,
        "weft demo: filling the holes of TerpreT benchmark sketches\n"
    )?;
    let mut code = 0;
    for (title, name, text, data, hypers, set) in DEMO {
        let mut map = SourceMap::new();
        let file = map.add(format!("benchmarks/terpret/{name}"), *text);
        let data: Vec<_> = data
            .iter()
            .map(|(n, t)| map.add(format!("benchmarks/terpret/data/{n}"), *t))
            .collect();
        let hypers = hypers.map(|(n, t)| map.add(format!("benchmarks/terpret/data/{n}"), t));
        let set: Vec<(String, i64)> = set.iter().map(|(n, v)| (n.to_string(), *v)).collect();
        let src = load::Sources {
            file,
            data,
            hypers,
            base: None,
        };
        let l = load::load_sources(map, &src, &set, None)?;
        let g: &Graph = l.graph();
        writeln!(
            out,
            "== {title}\n   sketch {name}: {} holes, search space {}, {}",
            g.holes.len(),
            show_graph_space(g),
            count_examples(g, &l.examples)
        )?;
        // The best solver available: CaDiCaL on the CNF encoding (weft-sat).
        match solve_loaded(&l, SolverName::Sat, 1e8, false, Some(120.0), 0)? {
            Solved::Found(h, _, _, t) => {
                let program = weft_ir::answer::program(g, &h);
                let lines: Vec<&str> = program.lines().collect();
                // An unrolled machine (a Turing machine's trace) is long: show its holes.
                let skip = match lines.iter().position(|l| *l == "holes:") {
                    Some(k) if k > 30 => {
                        writeln!(
                            out,
                            "   ({k} lines of unrolled program; `weft solve` prints them)"
                        )?;
                        k
                    }
                    _ => 0,
                };
                for line in &lines[skip..] {
                    writeln!(out, "   {line}")?;
                }
                writeln!(
                    out,
                    "   solved by sat (CaDiCaL) in {:.3} s, verified by the exact evaluator\n",
                    t.as_secs_f64()
                )?;
            }
            Solved::NoSolution(_) => {
                writeln!(out, "   no solution (proved)\n")?;
                code = 1;
            }
            Solved::GaveUp(r) | Solved::Refused(r) => {
                writeln!(out, "   gave up: {r}\n")?;
                code = 3;
            }
        }
    }
    Ok(code)
}
