//! The `weft bench kanren` table without the CLI: `cargo run --release -p weft-kanren
//! --example bench [REPEAT]`. Medians of thread CPU time (Linux), else wall time; each
//! sample is a batch of runs lasting about 50 ms, divided.

use std::time::{Duration, Instant};

fn cpu_now() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

fn main() -> Result<(), weft_kanren::Error> {
    // `bench once NAME [N]`: run one benchmark N times (default once; for `perf`).
    if std::env::args().nth(1).as_deref() == Some("once") {
        let name = std::env::args().nth(2).unwrap_or_default();
        let n: usize = std::env::args()
            .nth(3)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1);
        for b in weft_kanren::bench::suite()
            .into_iter()
            .filter(|b| b.name == name)
        {
            let m = b.module()?;
            for _ in 1..n {
                m.run(0)?;
            }
            println!("{} answers", m.run(0)?.len());
        }
        return Ok(());
    }
    let repeat: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    println!("| benchmark | answers | median | runs |\n|---|---:|---:|---:|");
    for b in weft_kanren::bench::suite() {
        let m = b.module()?;
        let w = Instant::now();
        let n = m.run(0)?.len();
        let batch = (0.2 / w.elapsed().as_secs_f64().max(1e-6))
            .ceil()
            .clamp(1.0, 1e4) as u32;
        let mut times = Vec::new();
        for _ in 0..repeat {
            let (c0, w0) = (cpu_now(), Instant::now());
            for _ in 0..batch {
                m.run(0)?;
            }
            times.push(
                match (c0, cpu_now()) {
                    (Some(a), Some(b)) => b.saturating_sub(a),
                    _ => w0.elapsed(),
                } / batch,
            );
        }
        times.sort();
        let med = times[times.len() / 2];
        println!(
            "| {} | {n} | {:.2} ms | {repeat} |",
            b.name,
            med.as_secs_f64() * 1e3
        );
    }
    Ok(())
}
