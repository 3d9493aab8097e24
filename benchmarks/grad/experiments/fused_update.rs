// FMGD's end of step for two-valued holes, stand-alone: the figures quoted in
// crates/grad/src/run.rs (`fmgd2_rows`) and BENCHMARKS.md ("The PyTorch peer", session 9).
// 255 holes × 48 columns (restarts), as one thread's share of the parity chain at K = 256:
// Adam on the softmax gradient (the second logit mirrored), the non-finite check, then the
// next argmax and sigmoid. The same arithmetic in one, two or three loops per hole, the
// three-loop form with `exp`'s polynomial by Estrin's scheme instead of Horner's (which
// would change results in the last bit), and (session 10) the three loops each run over all
// holes before the next starts, and (session 11) `exp` alone in the second loop with the
// argmax moved beside the division. Prints the best of six rounds, ns per parameter.
// rustc -O fused_update.rs && ./fused_update
use std::time::Instant;

const B1: f32 = 0.9;
const B2: f32 = 0.999;

#[inline(always)]
fn exp_fast<const ESTRIN: bool>(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.3);
    let k = x * std::f32::consts::LOG2_E + MAGIC;
    let nf = k - MAGIC;
    let n = k.to_bits().wrapping_sub(MAGIC.to_bits()) as i32;
    let g = x - nf * 0.693_359_4 + nf * 2.121_944_4e-4;
    let z = g * g;
    let y = if ESTRIN {
        let a = 5.000_000_1e-1 + 1.666_666_5e-1 * g;
        let b = 4.166_579_6e-2 + 8.333_452e-3 * g;
        let c = 1.398_2e-3 + 1.987_569_2e-4 * g;
        a + b * z + c * (z * z)
    } else {
        let mut y = 1.987_569_2e-4;
        y = y * g + 1.398_2e-3;
        y = y * g + 8.333_452e-3;
        y = y * g + 4.166_579_6e-2;
        y = y * g + 1.666_666_5e-1;
        y * g + 5.000_000_1e-1
    };
    (y * z + g + 1.0) * f32::from_bits((n.wrapping_add(127) as u32) << 23)
}

struct Rows {
    p: Vec<f32>,
    g: Vec<f32>,
    t: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    cur: Vec<u32>,
    dirty: Vec<bool>,
    bad: Vec<f32>,
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn hole<const LOOPS: u8, const ESTRIN: bool>(
    p0: &mut [f32],
    p1: &mut [f32],
    g0: &[f32],
    g1: &[f32],
    t0: &mut [f32],
    t1: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    cur: &mut [u32],
    dirty: &mut [bool],
    bad: &mut [f32],
) {
    let n = p0.len();
    let (a, it) = (0.01f32, 1.0f32);
    let adam = |c: usize, p0: &[f32], p1: &[f32], t0: &mut [f32], t1: &mut [f32], m: &mut [f32], v: &mut [f32], bad: &mut [f32]| {
        bad[c] = (bad[c] + g0[c] * 0.0) + g1[c] * 0.0;
        let x = p0[c] * p1[c] * (g0[c] - g1[c]) * it;
        let mc = B1 * m[c] + (1.0 - B1) * x;
        let vc = B2 * v[c] + (1.0 - B2) * x * x;
        m[c] = mc;
        v[c] = vc;
        let u = a * mc / (vc.sqrt() + 1e-8);
        t0[c] -= u;
        t1[c] += u;
    };
    match LOOPS {
        1 => {
            for c in 0..n {
                adam(c, p0, p1, t0, t1, m, v, bad);
                let (th0, th1) = (t0[c], t1[c]);
                let am = (th1 > th0) as u32;
                dirty[c] |= am != cur[c];
                cur[c] = am;
                let q1 = 1.0 / (1.0 + exp_fast::<ESTRIN>(th0 - th1));
                p0[c] = 1.0 - q1;
                p1[c] = q1;
            }
        }
        2 => {
            for c in 0..n {
                adam(c, p0, p1, t0, t1, m, v, bad);
            }
            for c in 0..n {
                let (th0, th1) = (t0[c], t1[c]);
                let am = (th1 > th0) as u32;
                dirty[c] |= am != cur[c];
                cur[c] = am;
                let q1 = 1.0 / (1.0 + exp_fast::<ESTRIN>(th0 - th1));
                p0[c] = 1.0 - q1;
                p1[c] = q1;
            }
        }
        4 => {
            // (session 11) `exp` alone in the second loop, the argmax beside the division.
            for c in 0..n {
                adam(c, p0, p1, t0, t1, m, v, bad);
            }
            for c in 0..n {
                p1[c] = exp_fast::<ESTRIN>(t0[c] - t1[c]);
            }
            for c in 0..n {
                let (th0, th1) = (t0[c], t1[c]);
                let am = (th1 > th0) as u32;
                dirty[c] |= am != cur[c];
                cur[c] = am;
                let q1 = 1.0 / (1.0 + p1[c]);
                p0[c] = 1.0 - q1;
                p1[c] = q1;
            }
        }
        _ => {
            for c in 0..n {
                adam(c, p0, p1, t0, t1, m, v, bad);
            }
            for c in 0..n {
                let (th0, th1) = (t0[c], t1[c]);
                let am = (th1 > th0) as u32;
                dirty[c] |= am != cur[c];
                cur[c] = am;
                p1[c] = exp_fast::<ESTRIN>(th0 - th1);
            }
            for c in 0..n {
                let q1 = 1.0 / (1.0 + p1[c]);
                p0[c] = 1.0 - q1;
                p1[c] = q1;
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn adam1(p0: &[f32], p1: &[f32], g0: &[f32], g1: &[f32], t0: &mut [f32], t1: &mut [f32], m: &mut [f32], v: &mut [f32], bad: &mut [f32]) {
    let n = p0.len();
    let (p1, g0, g1, t0, t1, m, v, bad) = (&p1[..n], &g0[..n], &g1[..n], &mut t0[..n], &mut t1[..n], &mut m[..n], &mut v[..n], &mut bad[..n]);
    let (a, it) = (0.01f32, 1.0f32);
    for c in 0..n {
        bad[c] = (bad[c] + g0[c] * 0.0) + g1[c] * 0.0;
        let x = p0[c] * p1[c] * (g0[c] - g1[c]) * it;
        let mc = B1 * m[c] + (1.0 - B1) * x;
        let vc = B2 * v[c] + (1.0 - B2) * x * x;
        m[c] = mc;
        v[c] = vc;
        let u = a * mc / (vc.sqrt() + 1e-8);
        t0[c] -= u;
        t1[c] += u;
    }
}
#[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx2"))]
unsafe fn steps_flat(r: &mut Rows, holes: usize, n: usize, steps: usize) {
    // all holes' Adam in one pass per hole (loop 1), then all exps, then all divisions
    for _ in 0..steps {
        for h in 0..holes {
            let o = 2 * h * n;
            let (p0, p1) = r.p[o..o + 2 * n].split_at(n);
            let (g0, g1) = r.g[o..o + 2 * n].split_at(n);
            let (t0, t1) = r.t[o..o + 2 * n].split_at_mut(n);
            adam1(p0, p1, g0, g1, t0, t1, &mut r.m[h * n..(h + 1) * n], &mut r.v[h * n..(h + 1) * n], &mut r.bad[..n]);
        }
        for h in 0..holes {
            let o = 2 * h * n;
            let (t0, t1) = r.t[o..o + 2 * n].split_at(n);
            let (_p0, p1) = r.p[o..o + 2 * n].split_at_mut(n);
            let cur = &mut r.cur[h * n..(h + 1) * n];
            let dirty = &mut r.dirty[..n];
            let (t1, p1, cur, dirty) = (&t1[..n], &mut p1[..n], &mut cur[..n], &mut dirty[..n]);
            for c in 0..n {
                let am = (t1[c] > t0[c]) as u32;
                dirty[c] |= am != cur[c];
                cur[c] = am;
                p1[c] = exp_fast::<false>(t0[c] - t1[c]);
            }
        }
        for i in 0..holes {
            let o = 2 * i * n;
            let (p0, p1) = r.p[o..o + 2 * n].split_at_mut(n);
            let p1 = &mut p1[..n];
            for c in 0..n {
                let q1 = 1.0 / (1.0 + p1[c]);
                p0[c] = 1.0 - q1;
                p1[c] = q1;
            }
        }
    }
}
#[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx2"))]
unsafe fn steps<const LOOPS: u8, const ESTRIN: bool>(r: &mut Rows, holes: usize, n: usize, steps: usize) {
    for _ in 0..steps {
        for h in 0..holes {
            let o = 2 * h * n;
            let (p0, p1) = r.p[o..o + 2 * n].split_at_mut(n);
            let (g0, g1) = r.g[o..o + 2 * n].split_at(n);
            let (t0, t1) = r.t[o..o + 2 * n].split_at_mut(n);
            hole::<LOOPS, ESTRIN>(
                p0,
                p1,
                g0,
                g1,
                t0,
                t1,
                &mut r.m[h * n..(h + 1) * n],
                &mut r.v[h * n..(h + 1) * n],
                &mut r.cur[h * n..(h + 1) * n],
                &mut r.dirty[..n],
                &mut r.bad[..n],
            );
        }
    }
}

fn main() {
    let (holes, n, count) = (255, 48, 4000);
    let names = ["one loop", "two loops", "three loops", "three loops, Estrin", "three passes over all holes", "three loops, exp alone"];
    let mut best = [f64::INFINITY; 6];
    for _ in 0..6 {
        for (k, b) in best.iter_mut().enumerate() {
            let len = 2 * holes * n;
            let mut r = Rows {
                p: (0..len).map(|i| 0.3 + (i % 7) as f32 * 0.05).collect(),
                g: (0..len).map(|i| ((i * 37) % 11) as f32 - 5.0).collect(),
                t: (0..len).map(|i| ((i * 13) % 17) as f32 * 0.1 - 0.8).collect(),
                m: vec![0.0; holes * n],
                v: vec![0.0; holes * n],
                cur: vec![0; holes * n],
                dirty: vec![false; n],
                bad: vec![0.0; n],
            };
            let t = Instant::now();
            // SAFETY: the development machine has AVX2 (check `grep avx2 /proc/cpuinfo`).
            unsafe {
                match k {
                    0 => steps::<1, false>(&mut r, holes, n, count),
                    1 => steps::<2, false>(&mut r, holes, n, count),
                    2 => steps::<3, false>(&mut r, holes, n, count),
                    4 => steps_flat(&mut r, holes, n, count),
                    5 => steps::<4, false>(&mut r, holes, n, count),
                    _ => steps::<3, true>(&mut r, holes, n, count),
                }
            }
            let ns = t.elapsed().as_secs_f64() * 1e9 / (count * holes * n) as f64;
            *b = b.min(ns);
            std::hint::black_box(&r.p);
        }
    }
    for (name, b) in names.iter().zip(best) {
        println!("{name:>20}: {b:.2} ns per parameter");
    }
}
