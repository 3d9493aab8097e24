//! The experiments behind BENCHMARKS.md's explanation of the loop rows of `weft bench anc`
//! (a diagnostic, not a benchmark):
//!
//! ```text
//! cargo run --release -p weft-asm --example probe -- grad  TASK INIT [steps]
//! cargo run --release -p weft-asm --example probe -- state TASK INIT [noise]
//! cargo run --release -p weft-asm --example probe -- tune  TASK INIT runs steps lr noise [train]
//! ```
//!
//! `grad` compares every gradient entry with a central finite difference at the task's full
//! step budget; `state` prints the differentiable machine's final memory, registers and halting
//! probability for one example; `tune` tunes `runs` runs exactly as the bench's init rows do
//! (same examples, same noise streams) and prints the recovery rate, the most common final
//! programs and the final losses. INIT is `reference`, `random`, `loop-noop`, `map-inc`,
//! `map-dec` or the text of a program (`$'l:\nread 1 2\nnoop\n…'`), padded with `noop` lines
//! to the reference's length (or to `$LINES`). `$EFF` sets λ of the efficiency term and `$T`
//! the step budget.

use std::collections::BTreeMap;

use weft_asm::compile::{compile, random_logits};
use weft_asm::diff::{DiffMachine, LossConfig, Shape};
use weft_asm::program::{parse, Program};
use weft_asm::rng::Rng;
use weft_asm::task;
use weft_asm::tune::{tune, TuneConfig};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn init_program(name: &str, t: &task::Task) -> Res<Option<Program>> {
    let reference = t.reference_program()?;
    let text = match name {
        "reference" => return Ok(Some(reference)),
        "random" => return Ok(None),
        "loop-noop" => "l:\nnoop\nnoop\nnoop\nnoop\njump 3 -> l\n",
        "map-inc" => "l:\nread 1 2\ninc 2 2\nwrite 1 2\ninc 1 1\njump 3 -> l\n",
        "map-dec" => "l:\nread 1 2\ndec 2 2\nwrite 1 2\ninc 1 1\njump 3 -> l\n",
        other => other,
    };
    let mut p = parse(text, 4).map_err(|e| format!("{e:?}"))?;
    let want = std::env::var("LINES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(reference.len());
    while p.len() < want {
        p.instrs.push(weft_asm::program::Instr::new(
            weft_asm::op::Op::Noop,
            0,
            0,
            0,
            0,
        ));
    }
    Ok(Some(p))
}

fn inits(p: &Option<Program>, shape: &Shape, runs: usize, noise: f32, seed: u64) -> Res<Vec<f32>> {
    let root = Rng::new(seed);
    let mut w = Vec::new();
    for r in 0..runs {
        let mut rng = root.fork(r as u64);
        match p {
            Some(p) => w.extend(compile(p, shape, noise, &mut rng)?),
            None => w.extend(random_logits(shape, &mut rng)),
        }
    }
    Ok(w)
}

fn main() -> Res<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    let t = task::get(&arg(1, "map-inc"))?;
    let p = init_program(&arg(2, "reference"), &t)?;
    let lines = std::env::var("LINES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(t.reference_program()?.len());
    let shape = Shape {
        lines,
        registers: t.machine.registers,
    };
    let eff: f32 = std::env::var("EFF")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1e-3);
    match a.first().map(|s| s.as_str()) {
        Some("grad") => {
            let mut m = t.machine;
            if let Some(s) = a.get(3) {
                m.steps = s.parse()?;
            }
            let w = inits(&p, &shape, 1, 0.3, 5)?;
            let ex = t.examples(2, &mut Rng::new(9));
            let dm = DiffMachine::new(m, shape, LossConfig { efficiency: eff }, ex)?;
            let mut g = vec![0.0; w.len()];
            let mut l = vec![0.0; 1];
            dm.loss_and_grad(&w, &mut g, &mut l);
            let mut worst: f32 = 0.0;
            let mut gnorm = 0.0f32;
            for i in 0..w.len() {
                let h = 1e-2f32;
                let mut wp = w.clone();
                wp[i] += h;
                let mut wm = w.clone();
                wm[i] -= h;
                let fd = (dm.loss(&wp, 1)[0] - dm.loss(&wm, 1)[0]) / (2.0 * h);
                let err = (fd - g[i]).abs() / (1e-3 + g[i].abs().max(fd.abs()));
                worst = worst.max(err);
                gnorm += g[i] * g[i];
                if err > 0.05 {
                    println!("param {i}: analytic {} numeric {fd}", g[i]);
                }
            }
            println!(
                "T = {}: loss {}, |g| = {}, worst relative error {worst}",
                m.steps,
                l[0],
                gnorm.sqrt()
            );
        }
        Some("rank") => {
            // The near misses the bench's near-miss row tunes: failing templates ranked by the
            // training loss of their noiseless compilation.
            let mut rng = Rng::new(0).fork(0x7a5c);
            let train = t.examples(8, &mut rng);
            let heldout = t.examples(64, &mut rng);
            let mut ranked = Vec::new();
            for (tpl, q) in weft_asm::template::enumerate(1, t.machine.registers, None) {
                if task::verify(&t.machine, &q, &train) && task::verify(&t.machine, &q, &heldout) {
                    continue;
                }
                let sh = Shape {
                    lines: q.len(),
                    registers: t.machine.registers,
                };
                let w = compile(&q, &sh, 0.0, &mut Rng::new(0))?;
                let dm = DiffMachine::new(t.machine, sh, LossConfig::default(), train.clone())?;
                ranked.push((dm.loss(&w, 1)[0], tpl.to_string()));
            }
            ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (l, tpl) in ranked.iter().take(6) {
                println!("{l:8.3} {tpl}");
            }
        }
        Some("state") => {
            let g: f32 = arg(3, "0.3").parse()?;
            let w = inits(&p, &shape, 1, g, 5)?;
            let mut m = t.machine;
            if let Ok(s) = std::env::var("T") {
                m.steps = s.parse()?;
            }
            let ex = t.examples(1, &mut Rng::new(9));
            let dm = DiffMachine::new(m, shape, LossConfig { efficiency: eff }, ex.clone())?;
            let (r, mem, h) = dm.final_state(&w, &ex[0].input)?;
            let b = m.base;
            println!(
                "input {:?} want {:?} halted {h:.3} loss {}",
                ex[0].input,
                ex[0].memory,
                dm.loss(&w, 1)[0]
            );
            for c in 0..m.cells {
                let row: Vec<String> = mem[c * b..(c + 1) * b]
                    .iter()
                    .map(|x| format!("{x:.2}"))
                    .collect();
                println!("m{c}: {}", row.join(" "));
            }
            for c in 0..m.registers {
                let row: Vec<String> = r[c * b..(c + 1) * b]
                    .iter()
                    .map(|x| format!("{x:.2}"))
                    .collect();
                println!("r{}: {}", c + 1, row.join(" "));
            }
        }
        Some("tune") => {
            let runs: usize = arg(3, "20").parse()?;
            let steps: usize = arg(4, "200").parse()?;
            let lr: f32 = arg(5, "0.1").parse()?;
            let noise: f32 = arg(6, "0.3").parse()?;
            let ntrain: usize = arg(7, "8").parse()?;
            let mut m = t.machine;
            if let Ok(s) = std::env::var("T") {
                m.steps = s.parse()?;
            }
            let mut rng = Rng::new(0).fork(0x7a5c);
            let train = t.examples(ntrain, &mut rng);
            let heldout = t.examples(64, &mut rng);
            let w = inits(&p, &shape, runs, noise, 0x1417)?;
            let cfg = TuneConfig {
                steps,
                lr,
                loss: LossConfig { efficiency: eff },
                early_stop: std::env::var("EARLY").map_or(true, |v| v != "0"),
                ..TuneConfig::default()
            };
            let t0 = std::time::Instant::now();
            let out = tune(&m, shape, w, &train, &heldout, &cfg)?;
            let ok = out.iter().filter(|o| o.recovered).count();
            println!(
                "{}: {ok}/{runs} recovered in {:.1}s",
                t.name,
                t0.elapsed().as_secs_f64()
            );
            let mut hist: BTreeMap<String, (usize, f32)> = BTreeMap::new();
            for o in &out {
                let e = hist.entry(o.program.to_string()).or_insert((0, 0.0));
                e.0 += 1;
                e.1 += o.loss;
            }
            let mut v: Vec<_> = hist.into_iter().collect();
            v.sort_by_key(|e| std::cmp::Reverse(e.1 .0));
            for (prog, (n, l)) in v.iter().take(4) {
                println!("-- {n} runs, mean loss {:.3}:\n{prog}", l / *n as f32);
            }
            let mut ls: Vec<f32> = out.iter().map(|o| o.loss).collect();
            ls.sort_by(f32::total_cmp);
            println!("losses: {:?}", ls);
        }
        _ => return Err("usage: probe grad|tune TASK INIT ...".into()),
    }
    Ok(())
}
