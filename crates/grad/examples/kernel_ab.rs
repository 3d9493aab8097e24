//! The relaxed kernel's forward and backward passes on the parity chain, with the fused
//! observations ([`Kernel::set_fusion`]) on and off, alternating in one process so that both
//! see the same machine: on a shared machine whose speed drifts by a third within minutes,
//! separate runs cannot tell 10% apart. Prints the minimum and the median time of one forward
//! and backward pass, each way.
//!
//! `cargo run --release -p weft-grad --example kernel_ab -- [K] [COLUMNS] [ROUNDS]`
//! (defaults: 256, 48, 40).

use std::time::Instant;

use weft_grad::Kernel;

const PARITY: &str = include_str!("../../../benchmarks/terpret/parity_chain.wft");

fn main() {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .map_or(default, |s| s.parse().expect("a number"))
    };
    let (k, cols, rounds) = (arg(1, 256), arg(2, 48), arg(3, 40));
    let mut map = weft_syntax::SourceMap::new();
    let file = map.add("parity_chain.wft", PARITY);
    let config = weft_sketch::Config {
        overrides: vec![("K".to_string(), k as i64)],
    };
    let c = weft_sketch::compile(&map, file, &config).expect("the shipped sketch compiles");
    let mut kernel = Kernel::new(&c.graph, &c.examples, cols, 1e-12, 0.0).expect("a kernel");
    // Probabilities away from 0 and 1, different in every column.
    let d = kernel.dims();
    let probs: Vec<f32> = (0..cols * d)
        .map(|i| {
            let p = 0.2 + 0.6 * ((i * 7919) % 997) as f32 / 997.0;
            if i % 2 == 0 {
                p
            } else {
                1.0 - p
            }
        })
        .collect();
    kernel.set_holes(&probs);
    let passes = 200;
    let mut times = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (way, t) in times.iter_mut().enumerate() {
            kernel.set_fusion(way == 1);
            let start = Instant::now();
            for _ in 0..passes {
                kernel.forward();
                kernel.backward_rows();
            }
            t.push(start.elapsed().as_secs_f64() * 1e6 / passes as f64);
        }
    }
    for (way, t) in times.iter_mut().enumerate() {
        t.sort_by(f64::total_cmp);
        println!(
            "K = {k}, {cols} columns, fusion {}: min {:.2} µs, median {:.2} µs per forward and backward pass",
            if way == 1 { "on " } else { "off" },
            t[0],
            t[t.len() / 2]
        );
    }
}
