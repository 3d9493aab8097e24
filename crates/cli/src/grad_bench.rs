//! `weft bench parity-chain` and `weft bench circuits`: seed 001's Tables 1 and 2, regenerated
//! by the gradient methods of `weft-grad`, plus the PyTorch peer (`--peer`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use weft_grad::{Config, Method, Report};

use crate::bench::BenchArgs;
use crate::external::{self, Limits};
use crate::grad_cmd::{run_method, success_steps, GradArgs, StepProgress};
use crate::load::{self, Loaded, SketchArgs};

/// The flags of the gradient suites.
#[derive(clap::Args, Debug, Default)]
pub struct GradBenchArgs {
    /// parity-chain, circuits: runs (restarts, one batch) per cell.
    #[arg(long, default_value_t = 100)]
    pub runs: usize,
    /// parity-chain: the chain lengths K (columns).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "4,8,16,32,64,128,256,512,1024"
    )]
    pub ks: Vec<i64>,
    /// parity-chain: the methods (rows) [default: the ten of seed 001's Table 1].
    #[arg(long, value_delimiter = ',', value_parser = parse_method)]
    pub methods: Vec<Method>,
    /// circuits: the methods (columns).
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = parse_method,
        default_value = "fmgd,gradsearch,gradsearch-plus"
    )]
    pub solvers: Vec<Method>,
    /// circuits: wall-clock cap per cell (all runs of one method on one circuit), seconds.
    #[arg(long, default_value_t = 3600.0, allow_negative_numbers = true)]
    pub cap: f64,
    /// parity-chain: also write the success-rate-against-K plot here (SVG).
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// parity-chain: also run the PyTorch peer (benchmarks/peers/parity_chain_torch.py) on
    /// FMGD and Bop and report weft's steps per second over PyTorch's.
    #[arg(long)]
    pub peer: bool,
    /// The K of the peer comparison.
    #[arg(long, default_value_t = 256, allow_negative_numbers = true)]
    pub peer_k: i64,
    /// Steps of the peer comparison.
    #[arg(long, default_value_t = 300)]
    pub peer_steps: usize,
    /// Runs of each side and thread configuration in the peer comparison (the median counts).
    #[arg(long, default_value_t = 3)]
    pub peer_reps: usize,
    #[command(flatten)]
    pub grad: GradArgs,
}

fn parse_method(s: &str) -> Result<Method, String> {
    Method::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
        format!("unknown method `{s}`; one of: {}", names.join(", "))
    })
}

pub fn bench(a: &BenchArgs) -> Result<u8> {
    let b = &a.grad;
    if b.runs == 0 {
        diag!("error: --runs must be at least 1");
        return Ok(2);
    }
    if !(b.cap > 0.0 && b.cap.is_finite()) {
        diag!("error: --cap must be a positive number of seconds");
        return Ok(2);
    }
    if let Some(code) = reject_bench_flags(b) {
        return Ok(code);
    }
    match a.suite.as_str() {
        "parity-chain" => parity_chain(a),
        "circuits" => circuits(a),
        s => bail!("unknown suite `{s}`"),
    }
}

/// An error for flags of the gradient suites that would be ignored or misused (exit 2), if
/// any: `--restarts` (each cell runs `--runs` restarts), a peer comparison of no steps or no
/// repetitions.
fn reject_bench_flags(b: &GradBenchArgs) -> Option<u8> {
    let msg = if b.grad.restarts.is_some() {
        "--restarts is not a bench flag: --runs sets the restarts of each cell".to_string()
    } else if b.peer_steps == 0 {
        "--peer-steps must be at least 1".to_string()
    } else if b.peer_reps == 0 {
        "--peer-reps must be at least 1".to_string()
    } else if b.peer && b.peer_k < 2 {
        format!("--peer-k: K must be at least 2, got {}", b.peer_k)
    } else {
        return None;
    };
    diag!("error: {msg}");
    Some(2)
}

/// An error for hyperparameters out of range (exit 2), if any: checked before the first cell
/// runs, not reported in every cell of the table.
fn reject_configs(cfgs: &[Config]) -> Option<u8> {
    let e = cfgs.iter().find_map(|c| c.validate().err())?;
    diag!("error: {e}");
    Some(2)
}

/// One cell: a batch of runs of one method on one task.
struct Cell {
    report: Option<Report>,
    error: Option<String>,
}

impl Cell {
    fn json(&self) -> serde_json::Value {
        match (&self.report, &self.error) {
            (Some(r), _) => {
                let s = success_steps(r);
                serde_json::json!({
                    "runs": r.restarts.len(),
                    "solved": s.len(),
                    "success_rate": r.success_rate(),
                    "mean_steps": r.mean_steps(),
                    "steps_to_success": s,
                    "non_finite": r.non_finite(),
                    "steps_run": r.steps_run,
                    "wall_seconds": r.elapsed.as_secs_f64(),
                    "mean_seconds_per_solved_run": mean_time(r),
                    "stopped": r.stopped,
                })
            }
            (None, e) => serde_json::json!({ "error": e }),
        }
    }
}

/// Mean time to solution of the successful runs, each charged its share of the batch: steps to
/// success × the batch's wall time per restart-step.
fn mean_time(r: &Report) -> Option<f64> {
    let per = r.seconds_per_restart_step();
    r.mean_steps().map(|s| s * per)
}

fn run_cell(l: &Loaded, config: &Config, label: &str) -> Result<Cell> {
    let mut progress = StepProgress::new(label);
    let r = run_method(l, config, &mut progress)?;
    progress.clear();
    Ok(match r {
        Ok(r) => Cell {
            report: Some(r),
            error: None,
        },
        Err(e) => Cell {
            report: None,
            error: Some(e),
        },
    })
}

fn load_parity(dir: &Path, k: i64) -> Result<Loaded> {
    let args = SketchArgs {
        file: dir.join("parity_chain.wft"),
        set: vec![("K".to_string(), k)],
        ..SketchArgs::default()
    };
    load::load(&args).map_err(|_| anyhow::anyhow!("parity_chain.wft does not load with K = {k}"))
}

/// Seed 001's Table 1: the first ten methods (every method but GradSearch+).
const TABLE1: &[Method] = Method::ALL.split_at(10).0;

/// The default step budget of the parity-chain table.
const PARITY_STEPS: usize = 5000;

fn parity_chain(a: &BenchArgs) -> Result<u8> {
    let b = &a.grad;
    let methods: Vec<Method> = if b.methods.is_empty() {
        TABLE1.to_vec()
    } else {
        b.methods.clone()
    };
    let mut table: Vec<Vec<Cell>> = Vec::new();
    let mut cfgs = Vec::new();
    for &m in &methods {
        let mut c = b.grad.config(m);
        c.restarts = b.runs;
        c.steps = b.grad.steps.unwrap_or(PARITY_STEPS);
        cfgs.push(c);
    }
    if let Some(code) = reject_configs(&cfgs) {
        return Ok(code);
    }
    let mut loaded = Vec::new();
    for &k in &b.ks {
        if k < 2 {
            diag!("error: --ks: K must be at least 2, got {k}");
            return Ok(2);
        }
        loaded.push(load_parity(&a.dir, k)?);
    }
    for (mi, &m) in methods.iter().enumerate() {
        let mut row = Vec::new();
        for (ki, l) in loaded.iter().enumerate() {
            let label = format!("{} K={}", m.name(), b.ks[ki]);
            row.push(run_cell(l, &cfgs[mi], &label)?);
        }
        table.push(row);
    }
    let peer = if b.peer { Some(peer(a, &cfgs)?) } else { None };
    if let Some(p) = &b.svg {
        std::fs::write(p, svg(&methods, &b.ks, &table))
            .with_context(|| format!("cannot write `{}`", p.display()))?;
    }
    let mut out = crate::out::stdout();
    let c0 = &cfgs[0];
    if a.json {
        let rows: Vec<serde_json::Value> = methods
            .iter()
            .zip(&table)
            .zip(&cfgs)
            .map(|((m, row), c)| {
                serde_json::json!({
                    "method": m.name(),
                    "config": format!("{c:?}"),
                    "cells": b.ks.iter().zip(row).map(|(k, cell)| {
                        let mut v = cell.json();
                        v["k"] = serde_json::json!(k);
                        v
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        let v = serde_json::json!({
            "suite": "parity-chain", "runs": b.runs, "steps": c0.steps, "seed": c0.seed,
            "ks": b.ks, "methods": rows, "peer": peer,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(0);
    }
    writeln!(
        out,
        "parity chain: success % over {} runs / mean steps of the successful runs / wall time \
         of the batch; {} steps at most; seed {}\n",
        b.runs, c0.steps, c0.seed
    )?;
    write!(out, "| method |")?;
    for k in &b.ks {
        write!(out, " K={k} |")?;
    }
    writeln!(out)?;
    write!(out, "|---|")?;
    for _ in &b.ks {
        write!(out, "---|")?;
    }
    writeln!(out)?;
    for (m, row) in methods.iter().zip(&table) {
        write!(out, "| {} |", m.title())?;
        for cell in row {
            write!(out, " {} |", show_cell(cell))?;
        }
        writeln!(out)?;
    }
    if let Some(p) = peer {
        writeln!(out, "\n{}", p["text"].as_str().unwrap_or(""))?;
    }
    Ok(0)
}

fn show_cell(cell: &Cell) -> String {
    match (&cell.report, &cell.error) {
        (Some(r), _) => {
            let nf = match r.non_finite() {
                0 => String::new(),
                n => format!(" ({n} NaN)"),
            };
            format!(
                "{:.0}%/{}/{:.2}s{nf}",
                100.0 * r.success_rate(),
                r.mean_steps()
                    .map_or("NA".to_string(), |s| format!("{s:.1}")),
                r.elapsed.as_secs_f64()
            )
        }
        (None, e) => format!("error: {}", e.as_deref().unwrap_or("?")),
    }
}

fn svg(methods: &[Method], ks: &[i64], table: &[Vec<Cell>]) -> String {
    let (w, h) = (720.0, 420.0);
    let (l, r, t, bt) = (60.0, 230.0, 20.0, 50.0);
    let pw = w - l - r;
    let ph = h - t - bt;
    let lk: Vec<f64> = ks.iter().map(|&k| (k as f64).log2()).collect();
    let (x0, x1) = (
        lk.iter().copied().fold(f64::INFINITY, f64::min),
        lk.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let span = if x1 > x0 { x1 - x0 } else { 1.0 };
    let x = |v: f64| l + (v - x0) / span * pw;
    let y = |s: f64| t + (1.0 - s) * ph;
    let colors = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf", "#000000",
    ];
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"{w}\" height=\"{h}\" \
         fill=\"white\"/>\n"
    );
    s += &format!(
        "<line x1=\"{l}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n\
         <line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{}\" stroke=\"black\"/>\n",
        t + ph,
        l + pw,
        t + ph,
        t + ph
    );
    for p in [0.0, 0.25, 0.5, 0.75, 1.0] {
        s += &format!(
            "<line x1=\"{l}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#ddd\"/>\
             <text x=\"{2}\" y=\"{3}\" text-anchor=\"end\">{4:.0}%</text>\n",
            y(p),
            l + pw,
            l - 6.0,
            y(p) + 4.0,
            p * 100.0
        );
    }
    for (i, k) in ks.iter().enumerate() {
        s += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{k}</text>\n",
            x(lk[i]),
            t + ph + 18.0
        );
    }
    s += &format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">parity chain length K (log scale)</text>\n\
         <text x=\"15\" y=\"{}\" transform=\"rotate(-90 15 {})\" text-anchor=\"middle\">success rate</text>\n",
        l + pw / 2.0,
        h - 10.0,
        t + ph / 2.0,
        t + ph / 2.0
    );
    for (mi, (m, row)) in methods.iter().zip(table).enumerate() {
        let c = colors[mi % colors.len()];
        let pts: Vec<String> = row
            .iter()
            .enumerate()
            .filter_map(|(i, cell)| {
                cell.report
                    .as_ref()
                    .map(|r| format!("{:.1},{:.1}", x(lk[i]), y(r.success_rate())))
            })
            .collect();
        s += &format!(
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{}\"/>\n",
            pts.join(" ")
        );
        for p in &pts {
            let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
            s += &format!("<circle cx=\"{px}\" cy=\"{py}\" r=\"3\" fill=\"{c}\"/>\n");
        }
        let ly = t + 10.0 + mi as f64 * 18.0;
        s += &format!(
            "<line x1=\"{0}\" y1=\"{ly}\" x2=\"{1}\" y2=\"{ly}\" stroke=\"{c}\" stroke-width=\"2\"/>\
             <text x=\"{2}\" y=\"{3}\">{4}</text>\n",
            l + pw + 15.0,
            l + pw + 35.0,
            l + pw + 40.0,
            ly + 4.0,
            m.title()
        );
    }
    s + "</svg>\n"
}

/// Runs the PyTorch peer on FMGD and Bop and weft on the same K, restarts and steps.
///
/// Both sides run in two configurations, all cores and one thread, `--peer-reps` times each;
/// a configuration's figure is its median over the repetitions, and each side is credited with
/// its better configuration (on a small, busy machine one thread is often the faster). weft
/// counts only the restart-steps it computed (a restart that has succeeded is dropped from the
/// batch); the peer computes every restart at every step. Both sides time their run after an
/// untimed warm-up of 10 steps, so neither is charged for lazy initialisation or cold caches.
fn peer(a: &BenchArgs, cfgs: &[Config]) -> Result<serde_json::Value> {
    let b = &a.grad;
    let script = a.dir.join("../peers/parity_chain_torch.py");
    let importable = external::output(
        Command::new("python3").args(["-c", "import torch"]),
        Limits::default(),
    )
    .is_ok_and(|o| o.status.success());
    if !importable {
        let text = "peer: PyTorch is not importable here (`python3 -c 'import torch'` fails); \
                    the peer comparison was skipped";
        return Ok(serde_json::json!({ "skipped": true, "text": text }));
    }
    let l = load_parity(&a.dir, b.peer_k)?;
    let reps = b.peer_reps;
    let mut rows = Vec::new();
    let mut text = format!(
        "peer: PyTorch ({}), K = {}, {} restarts batched, {} steps; steps/s = restart-steps per \
         second, the median of {reps} runs of the better of all cores and one thread (lowest \
         and highest of those runs after it; the ratio is of the medians)\n\n\
         | method | weft steps/s | PyTorch steps/s | ratio |\n|---|---:|---:|---:|\n",
        script.display(),
        b.peer_k,
        b.runs,
        b.peer_steps
    );
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    // The lowest and highest of a configuration's repetitions: on a shared machine either
    // side's figure moves by half between runs, and the median alone hides that.
    let range = |v: &[f64]| {
        v.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            })
    };
    for m in [Method::Fmgd, Method::Bop] {
        let mut c = cfgs
            .iter()
            .find(|c| c.method == m)
            .cloned()
            .unwrap_or_else(|| {
                let mut c = b.grad.config(m);
                c.restarts = b.runs;
                c
            });
        c.steps = b.peer_steps;
        // (threads, median steps/s, (lowest, highest)), for weft and for the peer.
        let mut weft: Vec<(usize, f64, (f64, f64))> = Vec::new();
        let mut torch: Vec<(usize, f64, (f64, f64), serde_json::Value)> = Vec::new();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for threads in [cores, 1] {
            c.threads = threads;
            let mut w = Vec::new();
            let mut t = Vec::new();
            let mut last = serde_json::Value::Null;
            for _ in 0..reps {
                // An untimed warm-up of 10 steps, as the peer script gives PyTorch: the
                // timed run then starts, like PyTorch's, with its code and memory warm.
                let mut w10 = c.clone();
                w10.steps = 10;
                run_cell(&l, &w10, &format!("peer weft {} (warm-up)", m.name()))?;
                let cell = run_cell(&l, &c, &format!("peer weft {}", m.name()))?;
                let Some(r) = cell.report else {
                    bail!("weft failed on the peer task: {:?}", cell.error)
                };
                w.push(r.restart_steps_per_second());
                // 0: PyTorch's default thread pool (one thread per core).
                let v = run_torch(&script, m, b, &c, if threads == 1 { 1 } else { 0 })?;
                t.push(v["steps_per_second"].as_f64().unwrap_or(0.0));
                last = v;
            }
            weft.push((threads, median(w.clone()), range(&w)));
            let n = last["threads"].as_u64().map_or(threads, |n| n as usize);
            torch.push((n, median(t.clone()), range(&t), last));
        }
        let (wt, wsps, wr) = weft
            .iter()
            .copied()
            .max_by(|x, y| x.1.total_cmp(&y.1))
            .unwrap_or((1, f64::NAN, (f64::NAN, f64::NAN)));
        let (tt, tsps, tr, v) = torch
            .into_iter()
            .max_by(|x, y| x.1.total_cmp(&y.1))
            .unwrap_or((1, f64::NAN, (f64::NAN, f64::NAN), serde_json::Value::Null));
        let thr = |n: usize| {
            if n == 1 {
                "1 thread".to_string()
            } else {
                format!("{n} threads")
            }
        };
        // No ratio when the peer reported no speed (it would print as "inf×").
        let ratio = Some(wsps / tsps).filter(|r| r.is_finite());
        text += &format!(
            "| {} | {:.0} ({}; {:.0}–{:.0}) | {:.0} ({}; {:.0}–{:.0}) | {} |\n",
            m.name(),
            wsps,
            thr(wt),
            wr.0,
            wr.1,
            tsps,
            thr(tt),
            tr.0,
            tr.1,
            ratio.map_or("—".to_string(), |r| format!("{r:.1}×"))
        );
        rows.push(serde_json::json!({
            "method": m.name(), "weft_steps_per_second": wsps, "weft_threads": wt,
            "weft_range": [wr.0, wr.1],
            "weft_by_threads": weft.iter().map(|(n, s, r)| serde_json::json!({"threads": n, "median": s, "range": [r.0, r.1]})).collect::<Vec<_>>(),
            "torch_steps_per_second": tsps, "torch_threads": tt, "torch_range": [tr.0, tr.1],
            "ratio": ratio, "torch": v, "reps": reps,
        }));
    }
    Ok(serde_json::json!({ "k": b.peer_k, "steps": b.peer_steps, "rows": rows, "text": text }))
}

/// One run of the PyTorch peer; its JSON line.
fn run_torch(
    script: &Path,
    m: Method,
    b: &GradBenchArgs,
    c: &Config,
    threads: usize,
) -> Result<serde_json::Value> {
    let mut cmd = Command::new("python3");
    cmd.arg(script).args([
        "--method",
        m.name(),
        "--k",
        &b.peer_k.to_string(),
        "--restarts",
        &b.runs.to_string(),
        "--steps",
        &b.peer_steps.to_string(),
        "--lr",
        &c.lr.to_string(),
        "--gamma",
        &c.gamma.to_string(),
        "--tau",
        &c.tau.to_string(),
        "--seed",
        &c.seed.to_string(),
        "--threads",
        &threads.to_string(),
    ]);
    let out = external::output(&mut cmd, Limits::default())
        .with_context(|| format!("cannot run `{}`", script.display()))?;
    if !out.status.success() {
        bail!("the peer failed: {}", out.stderr_text());
    }
    serde_json::from_slice(&out.stdout).with_context(|| "the peer did not print JSON".to_string())
}

const CIRCUITS: [&str; 5] = [
    "circuit_nand",
    "circuit_swap",
    "circuit_shift",
    "circuit_adder",
    "circuit_full_adder",
];

/// The default step budget of the circuits table.
const CIRCUIT_STEPS: usize = 20000;

fn circuits(a: &BenchArgs) -> Result<u8> {
    let b = &a.grad;
    let dir = &a.dir;
    let cfgs: Vec<Config> = b
        .solvers
        .iter()
        .map(|&m| {
            let mut c = b.grad.config(m);
            c.restarts = b.runs;
            c.steps = b.grad.steps.unwrap_or(CIRCUIT_STEPS);
            c.timeout = Some(crate::cmd::seconds(b.cap));
            c
        })
        .collect();
    if let Some(code) = reject_configs(&cfgs) {
        return Ok(code);
    }
    let mut rows = Vec::new();
    for task in CIRCUITS {
        if a.only.as_ref().is_some_and(|o| !task.contains(o.as_str())) {
            continue;
        }
        let args = SketchArgs {
            file: dir.join("circuit.wft"),
            data: vec![dir.join(format!("data/{task}_data.json"))],
            hypers: Some(dir.join(format!("data/{task}_hypers.json"))),
            ..SketchArgs::default()
        };
        let l = load::load(&args).map_err(|_| anyhow::anyhow!("task `{task}` does not load"))?;
        let mut cells = Vec::new();
        for c in &cfgs {
            let cell = run_cell(&l, c, &format!("{task} {}", c.method.name()))?;
            cells.push((c.clone(), cell));
        }
        rows.push((task, l.graph().search_space(), cells));
    }
    let mut out = crate::out::stdout();
    if a.json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(task, space, cells)| {
                serde_json::json!({
                    "task": task, "search_space": space,
                    "cells": cells.iter().map(|(c, cell)| {
                        let mut v = cell.json();
                        v["method"] = serde_json::json!(c.method.name());
                        v["config"] = serde_json::json!(format!("{c:?}"));
                        v
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        let meta = serde_json::json!({
            "suite": "circuits", "runs": b.runs, "cap_seconds": b.cap, "tasks": v,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&meta)?)?;
        return Ok(0);
    }
    let steps = b.grad.steps.unwrap_or(CIRCUIT_STEPS);
    writeln!(
        out,
        "Boolean circuits: success % over {} runs / mean time to solution of the successful \
         runs (steps to success × the batch's wall time per restart-step); {steps} steps at \
         most, cap {} s per cell\n",
        b.runs, b.cap
    )?;
    write!(out, "| circuit | search space |")?;
    for m in &b.solvers {
        write!(out, " {} |", m.title())?;
    }
    writeln!(out)?;
    write!(out, "|---|---:|")?;
    for _ in &b.solvers {
        write!(out, "---|")?;
    }
    writeln!(out)?;
    for (task, space, cells) in &rows {
        write!(
            out,
            "| {} | {} |",
            task.trim_start_matches("circuit_"),
            crate::cmd::show_space(*space)
        )?;
        for (_, cell) in cells {
            let s = match &cell.report {
                Some(r) => format!(
                    "{:.0}% / {}{}",
                    100.0 * r.success_rate(),
                    mean_time(r).map_or("×".to_string(), |t| format!("{t:.4} s")),
                    r.stopped
                        .as_ref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default()
                ),
                None => format!("error: {}", cell.error.as_deref().unwrap_or("?")),
            };
            write!(out, " {s} |")?;
        }
        writeln!(out)?;
    }
    Ok(0)
}
