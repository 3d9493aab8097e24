//! `weft bench terpret`: every task of `benchmarks/terpret/tasks.json` through one solver,
//! timed (median of repeats), one Markdown table (or JSON).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::cmd::{show_space, solve_loaded, Solved, SolverName};
use crate::load::{self, SketchArgs};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// The suite to run: `terpret`; `parity-chain` and `circuits` (seed 001's Tables 1 and 2,
    /// gradient methods); `anc` (seed 003's Table 1, neural compilation).
    #[arg(value_parser = ["terpret", "parity-chain", "circuits", "kanren", "anc"])]
    pub suite: String,
    /// The solver to time.
    #[arg(long, value_enum, default_value = "enumerate")]
    pub solver: SolverName,
    /// Timed runs per task; the table shows the median.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Search-space limit for enumerate.
    #[arg(long, default_value_t = 1e8, allow_negative_numbers = true)]
    pub limit: f64,
    /// Per-run timeout in seconds.
    #[arg(long, default_value_t = 60.0, allow_negative_numbers = true)]
    pub timeout: f64,
    /// Only tasks whose name contains this text.
    #[arg(long)]
    pub only: Option<String>,
    /// Where the suite lives.
    #[arg(long, default_value = "benchmarks/terpret")]
    pub dir: PathBuf,
    /// Print JSON instead of a Markdown table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub grad: crate::grad_bench::GradBenchArgs,
    #[command(flatten)]
    pub anc: crate::asm_cmd::AncBenchArgs,
}

struct Row {
    task: String,
    holes: usize,
    space: f64,
    nodes: usize,
    examples: usize,
    result: String,
    median: Option<Duration>,
}

pub(crate) fn task_args(dir: &Path, t: &serde_json::Value) -> Result<(String, SketchArgs)> {
    let name = t
        .get("task")
        .and_then(|v| v.as_str())
        .context("a task without a `task` name")?
        .to_string();
    let path = |k: &str| t.get(k).and_then(|v| v.as_str()).map(|p| dir.join(p));
    let mut a = SketchArgs {
        file: path("sketch").with_context(|| format!("task `{name}` has no `sketch`"))?,
        ..SketchArgs::default()
    };
    a.data.extend(path("data"));
    a.hypers = path("hypers");
    if let Some(set) = t.get("set").and_then(|v| v.as_object()) {
        for (k, v) in set {
            let v = v
                .as_i64()
                .with_context(|| format!("task `{name}`: `set.{k}` must be an integer"))?;
            a.set.push((k.clone(), v));
        }
    }
    Ok((name, a))
}

pub fn bench(a: &BenchArgs) -> Result<u8> {
    if !(a.timeout > 0.0 && a.timeout.is_finite()) {
        diag!("error: --timeout must be a positive number of seconds");
        return Ok(2);
    }
    if a.limit.is_nan() || a.limit <= 0.0 {
        diag!("error: --limit must be positive");
        return Ok(2);
    }
    if a.suite == "anc" {
        if let Some(flag) = a.grad.grad.given_other_than(&["--seed", "--steps", "--lr"]) {
            diag!("error: {flag} is not a flag of `weft bench anc` (it reads --seed, --steps and --lr)");
            return Ok(2);
        }
        return crate::asm_cmd::bench(crate::asm_cmd::AncRun {
            args: &a.anc,
            runs: a.grad.runs,
            json: a.json,
            svg: a.grad.svg.as_deref(),
            seed: a.grad.grad.seed,
            steps: a.grad.grad.steps,
            lr: a.grad.grad.lr,
        });
    }
    if a.suite == "kanren" {
        return crate::kanren_cmd::bench(a.repeat, a.only.as_deref());
    }
    if a.suite != "terpret" {
        return crate::grad_bench::bench(a);
    }
    if let Some(flag) = a.grad.grad.given() {
        // Every solver runs with its defaults here (`solve_loaded`).
        diag!("error: {flag} is not a flag of `weft bench terpret` (each solver runs with its defaults)");
        return Ok(2);
    }
    if matches!(a.solver, SolverName::Sat) {
        return crate::sat_cmd::bench(a);
    }
    let tasks_path = a.dir.join("tasks.json");
    let text = crate::input::read_text(&tasks_path, crate::input::Kind::Tasks)
        .map_err(|e| e.with_context(|| format!("cannot read `{}`", tasks_path.display())))?;
    let tasks: Vec<serde_json::Value> = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not a JSON array of tasks", tasks_path.display()))?;
    let mut rows = Vec::new();
    for t in &tasks {
        let (name, args) = task_args(&a.dir, t)?;
        if a.only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        let l = load::load(&args).map_err(|_| anyhow::anyhow!("task `{name}` does not load"))?;
        let g = l.graph();
        let mut times = Vec::new();
        let mut result = String::new();
        for _ in 0..a.repeat {
            let (r, t) = match solve_loaded(&l, a.solver, a.limit, false, Some(a.timeout), 0)? {
                Solved::Found(_, _, _, t) => ("solved".to_string(), Some(t)),
                Solved::NoSolution(t) => ("proved: no solution".to_string(), Some(t)),
                Solved::GaveUp(reason) => (format!("gave up: {reason}"), None),
                Solved::Refused(_) => ("refused: space above --limit".to_string(), None),
            };
            result = r;
            match t {
                Some(t) => times.push(t),
                None => break, // a refusal or timeout repeats identically
            }
        }
        times.sort();
        rows.push(Row {
            task: name,
            holes: g.holes.len(),
            space: g.search_space(),
            nodes: g.nodes.len(),
            examples: l.examples.len().max(usize::from(g.inputs.is_empty())),
            result,
            median: times
                .get(times.len() / 2)
                .copied()
                .filter(|_| !times.is_empty()),
        });
    }
    let mut out = crate::out::stdout();
    if a.json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "task": r.task, "holes": r.holes, "search_space": r.space, "nodes": r.nodes,
                    "examples": r.examples, "result": r.result,
                    "median_seconds": r.median.map(|d| d.as_secs_f64()),
                })
            })
            .collect();
        let meta = serde_json::json!({
            "suite": a.suite, "solver": format!("{:?}", a.solver).to_lowercase(),
            "repeat": a.repeat, "limit": a.limit, "timeout_seconds": a.timeout, "tasks": v,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&meta)?)?;
        return Ok(0);
    }
    writeln!(
        out,
        "solver: {} — median of {} run(s); limit {:e} assignments; timeout {} s\n",
        format!("{:?}", a.solver).to_lowercase(),
        a.repeat,
        a.limit,
        a.timeout
    )?;
    writeln!(
        out,
        "| task | holes | search space | IR nodes | examples | result | time (median) |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---|---:|")?;
    for r in &rows {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.task,
            r.holes,
            show_space(r.space),
            r.nodes,
            r.examples,
            r.result,
            r.median
                .map_or("—".to_string(), |d| format!("{:.4} s", d.as_secs_f64()))
        )?;
    }
    Ok(0)
}
