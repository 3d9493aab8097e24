//! `weft kanren FILE.mk`: evaluate the `run` forms of a miniKanren file and print their
//! answers as miniKanren does; `weft bench kanren`: the engine's benchmark table.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::ValueEnum;
use weft_kanren::{
    show, BestFirst, DepthFirst, Error, Interleave, Limits, Module, Policy, Random, Search,
};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PolicyName {
    /// miniKanren's fair interleaving (faster-miniKanren's answer order).
    Interleave,
    /// Always expand the leftmost choice point.
    Dfs,
    /// Expand a uniformly random choice point (see --seed).
    Random,
    /// Expand the shallowest choice point (best-first on minus the depth).
    Shallow,
}

#[derive(clap::Args, Debug)]
pub struct KanrenArgs {
    /// The miniKanren source file (`defrel`/`define` relations and `run`/`run*` forms).
    pub file: PathBuf,
    /// Which choice point to expand next.
    #[arg(long, value_enum, default_value = "interleave")]
    pub policy: PolicyName,
    /// Seed for `--policy random`.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Stop a run after this many search steps.
    #[arg(long)]
    pub steps: Option<u64>,
    /// Stop a run after allocating this many logic variables (a bound on memory).
    #[arg(long, default_value_t = 50_000_000)]
    pub max_vars: u64,
    /// Before each expansion, print the frontier (choice points) to stderr (not with
    /// `--policy interleave`).
    #[arg(long)]
    pub trace: bool,
}

fn policy(a: &KanrenArgs) -> Box<dyn Policy> {
    match a.policy {
        PolicyName::Interleave => Box::new(Interleave),
        PolicyName::Dfs => Box::new(DepthFirst),
        PolicyName::Random => Box::new(Random::new(a.seed)),
        PolicyName::Shallow => Box::new(BestFirst::new(|s: &str| {
            // "(choice (depth D) ...": prefer small D.
            let d = s
                .strip_prefix("(choice (depth ")
                .and_then(|r| r.split(')').next())
                .and_then(|n| n.parse::<f64>().ok())
                .unwrap_or(0.0);
            -d
        })),
    }
}

struct Tracer<'a> {
    inner: Box<dyn Policy + 'a>,
}

impl Policy for Tracer<'_> {
    fn choose(&mut self, f: &weft_kanren::Frontier<'_>) -> usize {
        let i = self.inner.choose(f);
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            ";; frontier ({} choice points), expanding {i}",
            f.len()
        );
        for j in 0..f.len() {
            let _ = writeln!(err, ";; {j}: {}", f.describe(j));
        }
        i
    }
}

pub fn kanren(a: &KanrenArgs) -> Result<u8> {
    let src = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read `{}`", a.file.display()))?;
    let m = match Module::parse(&src) {
        Ok(m) => m,
        Err(e) => {
            let mut err = std::io::stderr().lock();
            writeln!(err, "error: {}:{e}", a.file.display())?;
            return Ok(2);
        }
    };
    let limits = Limits {
        max_steps: a.steps,
        max_vars: Some(a.max_vars),
    };
    let mut out = std::io::stdout().lock();
    for i in 0..m.runs().len() {
        let mut p = policy(a);
        if a.trace {
            p = Box::new(Tracer { inner: p });
        }
        let n = m.runs()[i].n;
        let mut s: Search = m.search(i, limits)?;
        let mut answers = Vec::new();
        let mut stopped = None;
        while n.is_none_or(|n| (answers.len() as u64) < n) {
            match s.next_with(p.as_mut()) {
                Ok(Some(t)) => answers.push(t),
                Ok(None) => break,
                Err(e) => {
                    stopped = Some(Error::from(e));
                    break;
                }
            }
        }
        writeln!(out, "{}", show(&answers))?;
        if let Some(e) = stopped {
            let pos = m.runs()[i].pos;
            out.flush()?;
            let mut err = std::io::stderr().lock();
            writeln!(
                err,
                "{}:{}:{}: {e} after {} answer{}",
                a.file.display(),
                pos.line,
                pos.col,
                answers.len(),
                if answers.len() == 1 { "" } else { "s" }
            )?;
            return Ok(3);
        }
    }
    Ok(0)
}

/// CPU time of this thread (Linux: `/proc/thread-self/schedstat`, nanoseconds), so that
/// timings on a shared machine are not inflated by other processes; wall time elsewhere.
fn cpu_now() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let (c0, w0) = (cpu_now(), Instant::now());
    let r = f();
    let d = match (c0, cpu_now()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => w0.elapsed(),
    };
    (r, d)
}

pub fn bench(repeat: u32, only: Option<&str>) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    let clock = if cpu_now().is_some() {
        "CPU time"
    } else {
        "wall time"
    };
    writeln!(out, "| benchmark | answers | median ({clock}) | runs |")?;
    writeln!(out, "|---|---:|---:|---:|")?;
    for b in weft_kanren::bench::suite() {
        let name = b.name;
        if only.is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let m = b.module().with_context(|| format!("benchmark `{name}`"))?;
        // The thread clock ticks coarsely: each sample times a batch of runs lasting at
        // least ~50 ms and divides.
        let (first, once) = timed(|| m.run(0));
        let count = first?.len();
        let batch = (0.05 / once.as_secs_f64().max(1e-6))
            .ceil()
            .clamp(1.0, 10_000.0) as u32;
        let mut times: Vec<Duration> = Vec::new();
        for _ in 0..repeat {
            let (r, t) = timed(|| (0..batch).try_for_each(|_| m.run(0).map(drop)));
            r?;
            times.push(t / batch);
        }
        times.sort();
        let med = times[times.len() / 2];
        writeln!(
            out,
            "| {name} | {count} | {:.2} ms | {repeat} |",
            med.as_secs_f64() * 1e3
        )?;
    }
    Ok(0)
}
