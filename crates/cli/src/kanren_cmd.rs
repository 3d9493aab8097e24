//! `weft kanren FILE.mk`: evaluate the `run` forms of a miniKanren file and print their
//! answers as miniKanren does; `weft bench kanren`: the engine's benchmark table.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::ValueEnum;
use weft_kanren::{
    BestFirst, DepthFirst, Error, Interleave, Limits, Module, Policy, Random, Search,
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
    /// Without one, read forms from standard input (a REPL).
    pub file: Option<PathBuf>,
    /// Read-eval-print loop: read forms from standard input, evaluate each `defrel` and
    /// `run` as it is complete, print answers (after loading FILE, if given).
    #[arg(long)]
    pub repl: bool,
    /// Which choice point to expand next.
    #[arg(long, value_enum, default_value = "interleave")]
    pub policy: PolicyName,
    /// Seed for `--policy random`.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Stop a run after this many search steps (none by default: a relation that never
    /// ends runs until stopped; Ctrl-C stops it too).
    #[arg(long)]
    pub steps: Option<u64>,
    /// Stop a run after this many seconds. A run stopped by `--steps`, `--timeout` or Ctrl-C
    /// prints the answers found so far and exits 3.
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub timeout: Option<f64>,
    /// Stop a run after allocating this many logic variables (a bound on memory: each keeps
    /// a 24-byte slot until the run ends, so the default bounds them to about 240 MB).
    #[arg(long, default_value_t = 10_000_000)]
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
    if let Some(t) = a.timeout {
        if !(t > 0.0 && t.is_finite()) {
            diag!("error: --timeout must be a positive number of seconds");
            return Ok(2);
        }
    }
    let file = match &a.file {
        Some(f) if !a.repl => f,
        _ => return repl(a),
    };
    let src = crate::input::read_text(file, crate::input::Kind::Kanren)
        .map_err(|e| e.with_context(|| format!("cannot read `{}`", file.display())))?;
    let m = match Module::parse(weft_ir::json::strip_bom(&src)) {
        Ok(m) => m,
        Err(e) => {
            // Every error the reader found, one per line.
            let mut err = std::io::stderr().lock();
            for e in e.list() {
                writeln!(err, "error: {}:{e}", file.display())?;
            }
            return Ok(2);
        }
    };
    let mut out = crate::out::stdout();
    for i in 0..m.runs().len() {
        if !run_form(a, &m, i, &file.display().to_string(), 0, &mut out)? {
            return Ok(3);
        }
    }
    Ok(0)
}

/// How long a run searches before [`Watch`] says that it is still searching.
const STILL_SEARCHING: Duration = Duration::from_secs(2);

/// A run's observer: Ctrl-C stops it (see [`crate::interrupt`]), and a run that has searched
/// for [`STILL_SEARCHING`] says so once on a terminal, with how to bound it (there is no
/// default limit: a long search may be a legitimate one).
struct Watch {
    start: Instant,
    /// Whether to say it: standard error is a terminal and it has not been said yet.
    on: bool,
    /// Standard output is a terminal too: the answers' line is open, start a new one.
    newline: bool,
}

impl Watch {
    /// The line to print at `steps` after `elapsed`, once.
    fn notice(&mut self, steps: u64, elapsed: Duration) -> Option<String> {
        if !self.on || elapsed < STILL_SEARCHING {
            return None;
        }
        self.on = false;
        Some(format!(
            "{}note: still searching after {steps} steps ({:.0} s); --steps N or --timeout \
             SECONDS bounds a run, Ctrl-C stops it",
            if self.newline { "\n" } else { "" },
            elapsed.as_secs_f64()
        ))
    }
}

impl weft_kanren::Observer for Watch {
    fn progress(&mut self, steps: u64) {
        if let Some(line) = self.notice(steps, self.start.elapsed()) {
            diag!("{line}");
        }
    }
    fn cancelled(&mut self) -> bool {
        crate::interrupt::requested()
    }
}

/// Runs form `i` of `m` and prints its answers; `false` (after saying why on stderr) when a
/// budget or Ctrl-C stopped it. `name` and `line_offset` place the form in its source.
fn run_form(
    a: &KanrenArgs,
    m: &Module,
    i: usize,
    name: &str,
    line_offset: usize,
    out: &mut impl Write,
) -> Result<bool> {
    use std::io::IsTerminal;
    let limits = Limits {
        max_steps: a.steps,
        max_vars: Some(a.max_vars),
        max_time: a.timeout.map(crate::cmd::seconds),
    };
    let mut p = policy(a);
    if a.trace {
        p = Box::new(Tracer { inner: p });
    }
    let n = m.runs()[i].n;
    let start = Instant::now();
    let watch = Watch {
        start,
        on: std::io::stderr().is_terminal(),
        newline: std::io::stdout().is_terminal(),
    };
    let mut s: Search = m.search(i, limits)?.with_observer(Box::new(watch));
    // Answers are printed as they are found (the list's text is the same as printing it
    // whole), so a `run*` over infinitely many answers shows them while it searches.
    let mut count = 0u64;
    let mut stopped = None;
    write!(out, "(")?;
    out.flush()?;
    while n.is_none_or(|n| count < n) {
        match s.next_with(p.as_mut()) {
            Ok(Some(t)) => {
                write!(out, "{}{t}", if count == 0 { "" } else { " " })?;
                out.flush()?;
                count += 1;
            }
            Ok(None) => break,
            Err(e) => {
                stopped = Some(Error::from(e));
                break;
            }
        }
    }
    writeln!(out, ")")?;
    if let Some(e) = stopped {
        let pos = m.runs()[i].pos;
        out.flush()?;
        let why = match e {
            Error::Stopped(weft_kanren::Stop::Cancelled) => "stopped by Ctrl-C".to_string(),
            e => e.to_string(),
        };
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "{name}:{}:{}: {why} after {} steps and {:.3} s; the answers printed ({count}) are \
             those found so far",
            pos.line + line_offset,
            pos.col,
            s.steps(),
            start.elapsed().as_secs_f64(),
        )?;
        return Ok(false);
    }
    Ok(true)
}

/// `weft kanren` without a file, or with `--repl`: reads forms from standard input and
/// evaluates each as soon as it is complete (relations are remembered; `run`s print their
/// answers). Errors are printed with their line and column in the input and the loop goes
/// on; the exit code is 3 if a budget or Ctrl-C stopped a run (a Ctrl-C stops the run, not
/// the loop), else 2 if any input had an error, else 0.
fn repl(a: &KanrenArgs) -> Result<u8> {
    use std::io::IsTerminal;
    let mut m = Module::empty();
    let mut status = 0;
    let mut out = crate::out::stdout();
    if let Some(file) = &a.file {
        let src = crate::input::read_text(file, crate::input::Kind::Kanren)
            .map_err(|e| e.with_context(|| format!("cannot read `{}`", file.display())))?;
        match m.extend(weft_ir::json::strip_bom(&src)) {
            Ok(new) => {
                for i in new {
                    crate::interrupt::clear();
                    if !run_form(a, &m, i, &file.display().to_string(), 0, &mut out)? {
                        status = 3;
                    }
                }
                out.flush()?;
            }
            Err(e) => {
                let mut err = std::io::stderr().lock();
                for e in e.list() {
                    writeln!(err, "error: {}:{e}", file.display())?;
                }
                status = 2;
            }
        }
    }
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    // The form being read, and the input line it starts on.
    let (mut buf, mut start, mut lines) = (String::new(), 1usize, 0usize);
    let mut line: Vec<u8> = Vec::new();
    loop {
        if interactive {
            diag_part!("{}", if buf.trim().is_empty() { "> " } else { "  " });
        }
        line.clear();
        // Bytes, not `read_line`: invalid UTF-8 is read (lossily) and reported by the
        // reader like any other bad input.
        // The form read so far and this line count towards one form's limit.
        let eof = crate::input::read_line(
            &mut stdin.lock(),
            &mut line,
            buf.len(),
            "<stdin>",
            crate::input::Kind::Kanren,
        )
        .map_err(|e| e.with_context(|| "cannot read standard input".into()))?
            == 0;
        if !eof {
            lines += 1;
            if buf.trim().is_empty() {
                buf.clear();
                start = lines;
            }
            let text = String::from_utf8_lossy(&line);
            // A byte-order mark is not part of the first form.
            buf.push_str(if lines == 1 {
                weft_ir::json::strip_bom(&text)
            } else {
                &text
            });
            if weft_kanren::reader::needs_more(&buf) {
                continue;
            }
        }
        if !buf.trim().is_empty() {
            match m.extend(&buf) {
                Ok(new) => {
                    for i in new {
                        crate::interrupt::clear();
                        if !run_form(a, &m, i, "<stdin>", start - 1, &mut out)? {
                            status = status.max(3);
                        }
                    }
                    out.flush()?;
                }
                Err(e) => {
                    let mut err = std::io::stderr().lock();
                    for e in e.list() {
                        match e {
                            Error::Syntax { line, col, msg } => {
                                writeln!(err, "error: <stdin>:{}:{col}: {msg}", line + start - 1)?
                            }
                            e => writeln!(err, "error: {e}")?,
                        }
                    }
                    status = status.max(2);
                }
            }
            buf.clear();
        }
        if eof {
            return Ok(status);
        }
    }
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
    let mut out = crate::out::stdout();
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
        // The thread clock advances in scheduler ticks (about 4 ms here): each sample times
        // a batch of runs lasting at least ~200 ms and divides, which keeps that error at 2 %.
        let (first, once) = timed(|| m.run(0));
        let count = first?.len();
        let batch = (0.2 / once.as_secs_f64().max(1e-6))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn still_searching_is_said_once_after_two_seconds_on_a_terminal() {
        let start = Instant::now();
        let mut w = Watch {
            start,
            on: true,
            newline: true,
        };
        assert_eq!(w.notice(1024, Duration::from_millis(1999)), None);
        let line = w.notice(2048, Duration::from_secs(2)).unwrap();
        assert_eq!(
            line,
            "\nnote: still searching after 2048 steps (2 s); --steps N or --timeout SECONDS \
             bounds a run, Ctrl-C stops it"
        );
        assert_eq!(w.notice(4096, Duration::from_secs(3)), None);
        let mut w = Watch {
            start,
            on: false,
            newline: false,
        };
        assert_eq!(w.notice(4096, Duration::from_secs(3)), None);
    }
}
