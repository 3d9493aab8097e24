//! Times the batched forward+backward pass of the differentiable machine:
//! `cargo run --release -p weft-asm --example kernel [task] [runs] [examples]`.

use std::time::Instant;

use weft_asm::compile::compile;
use weft_asm::diff::{DiffMachine, LossConfig, Shape};
use weft_asm::rng::Rng;
use weft_asm::task;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map_or("map-inc", |s| s.as_str());
    let runs: usize = args.get(2).map_or(Ok(100), |s| s.parse())?;
    let nex: usize = args.get(3).map_or(Ok(8), |s| s.parse())?;
    let t = task::get(name)?;
    let p = t.reference_program()?;
    let shape = Shape {
        lines: p.len(),
        registers: t.machine.registers,
    };
    let mut rng = Rng::new(0);
    let mut w = Vec::new();
    for _ in 0..runs {
        w.extend(compile(&p, &shape, 0.3, &mut rng)?);
    }
    let dm = DiffMachine::new(
        t.machine,
        shape,
        LossConfig::default(),
        t.examples(nex, &mut rng),
    )?;
    let mut g = vec![0.0; w.len()];
    let mut l = vec![0.0; runs];
    let mut times = Vec::new();
    for _ in 0..15 {
        let t0 = Instant::now();
        dm.loss_and_grad(&w, &mut g, &mut l);
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let med = times[times.len() / 2];
    let cells = (runs * nex * t.machine.steps) as f64;
    println!(
        "{name}: {runs} runs x {nex} examples x {} steps, {} lines, base {}: median {:.2} ms per \
         forward+backward, {:.2} us per (run, example, step)",
        t.machine.steps,
        shape.lines,
        t.machine.base,
        med * 1e3,
        med / cells * 1e6
    );
    Ok(())
}
