// How late does a spawned thread start? The measurement behind `weft-grad`'s worker pool
// (crates/grad/src/pool.rs; BENCHMARKS.md, "The PyTorch peer", session 9): the main thread
// spawns one thread after a 50 ms pause (the other core idle) and both then run the same
// 20 million-step integer loop. On the 2-vCPU development VM the new thread began 0.3–2.9 ms
// after the spawn, and in some rounds the main thread's loop took twice as long (the two
// threads shared its core until the other one woke up).
// rustc -O thread_start.rs && ./thread_start
use std::time::{Duration, Instant};

fn spin(n: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..n {
        x = x.wrapping_mul(31).wrapping_add(i);
    }
    x
}

fn main() {
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(50));
        let t0 = Instant::now();
        let ((start, other_done, _), (main_done, _)) = std::thread::scope(|s| {
            let h = s.spawn(|| {
                let start = t0.elapsed();
                let x = spin(20_000_000);
                (start, t0.elapsed(), x)
            });
            let x = spin(20_000_000);
            let main_done = t0.elapsed();
            (h.join().unwrap(), (main_done, x))
        });
        println!(
            "spawned thread started after {start:?}; its loop done at {other_done:?}, \
             the main thread's at {main_done:?}"
        );
    }
}
