// A whole FMGD step of the parity chain (K = 256, 48 columns, one thread) written by hand for
// this one sketch, as a bound on what weft's general kernel and driver could reach: one reverse
// pass over the observations (row, gradient seed and backward pass of each), the update of each
// hole (Adam, argmax, sigmoid) either right after the observation that completes its gradient
// (INSIDE) or in a pass of its own after them, then the loss products and a discrete sweep.
// Quoted in BENCHMARKS.md ("The PyTorch peer on this machine, session 10"): both orders ran
// equally fast (2.6–2.9 ns per hole and column; weft's step then took about 4.5).
// rustc -O one_pass_step.rs && ./one_pass_step
use std::time::Instant;
const B1: f32 = 0.9;
const B2: f32 = 0.999;
#[inline(always)]
fn exp_fast(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.3);
    let k = x * std::f32::consts::LOG2_E + MAGIC;
    let nf = k - MAGIC;
    let n = k.to_bits().wrapping_sub(MAGIC.to_bits()) as i32;
    let g = x - nf * 0.693_359_4 + nf * 2.121_944_4e-4;
    let z = g * g;
    let mut y = 1.987_569_2e-4;
    y = y * g + 1.398_2e-3; y = y * g + 8.333_452e-3; y = y * g + 4.166_579_6e-2;
    y = y * g + 1.666_666_5e-1; y = y * g + 5.000_000_1e-1;
    (y * z + g + 1.0) * f32::from_bits((n.wrapping_add(127) as u32) << 23)
}
#[inline(always)]
fn bce(p: f32, eps: f32) -> f32 { let q = 1.0 - p; let (a, b) = if p * q >= eps || q < 0.0 { (1.0, p) } else { (q, eps) }; a / b }
struct S { k: usize, n: usize, p: Vec<f32>, g: Vec<f32>, t: Vec<f32>, m: Vec<f32>, v: Vec<f32>, cur: Vec<u32>, obs: Vec<f32>, acc: Vec<f32>, ex: Vec<i32>, dirty: Vec<bool>, viol: Vec<u32> }
#[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx2"))]
unsafe fn step<const INSIDE: bool>(s: &mut S, a: f32) {
    let (k, n) = (s.k, s.n);
    let eps = 1e-12f32;
    // hole h (0..k-1) = chain bit h+1; rows p[(2h+v)*n..]
    // obs j: chain[j] == chain[j+1 mod k]; chain[0] const false.
    for j in (0..k).rev() {
        let a_h = if j == 0 { None } else { Some(j - 1) };
        let b_h = if j + 1 == k { None } else { Some(j) };
        let o = &mut s.obs[j * n..(j + 1) * n];
        match (a_h, b_h) {
            (Some(ah), Some(bh)) => {
                let (lo, hi) = s.p.split_at_mut(2 * bh * n);
                let (x0, x1) = lo[2 * ah * n..2 * bh * n].split_at(n);
                let (y0, y1) = hi[..2 * n].split_at(n);
                let (glo, ghi) = s.g.split_at_mut(2 * bh * n);
                let (ga0, ga1) = glo[2 * ah * n..2 * bh * n].split_at_mut(n);
                let (gb0, gb1) = ghi[..2 * n].split_at_mut(n);
                obs2(x0, x1, y0, y1, o, ga0, ga1, gb0, gb1, eps);
            }
            (None, Some(bh)) => {
                let (y0, _y1) = s.p[2 * bh * n..2 * bh * n + 2 * n].split_at(n);
                let (gb0, gb1) = s.g[2 * bh * n..2 * bh * n + 2 * n].split_at_mut(n);
                for c in 0..n { let p = 0.0 + y0[c]; o[c] = p; let g = 0.0 - bce(p, eps); gb0[c] += g; gb1[c] += 0.0 * g; }
            }
            (Some(ah), None) => {
                let (x0, _x1) = s.p[2 * ah * n..2 * ah * n + 2 * n].split_at(n);
                let (ga0, ga1) = s.g[2 * ah * n..2 * ah * n + 2 * n].split_at_mut(n);
                for c in 0..n { let p = 0.0 + x0[c]; o[c] = p; let g = 0.0 - bce(p, eps); ga0[c] = 0.0 + g; ga1[c] = 0.0 * g; }
            }
            _ => {}
        }
        // Hole j is complete (readers j and j + 1 done): update it now, or in a pass of its own.
        if INSIDE {
            if let Some(h) = b_h {
                update(s, h, a);
            }
        }
    }
    if !INSIDE {
        for h in (0..k - 1).rev() {
            update(s, h, a);
        }
    }
    loss_sweep(s);
}

#[inline(always)]
fn update(s: &mut S, h: usize, a: f32) {
    let n = s.n;
    {
            let (p0, p1) = s.p[2 * h * n..2 * h * n + 2 * n].split_at_mut(n);
            let (g0, g1) = s.g[2 * h * n..2 * h * n + 2 * n].split_at(n);
            let (t0, t1) = s.t[2 * h * n..2 * h * n + 2 * n].split_at_mut(n);
            let (m, v, cur) = (&mut s.m[h * n..(h + 1) * n], &mut s.v[h * n..(h + 1) * n], &mut s.cur[h * n..(h + 1) * n]);
            let dirty = &mut s.dirty[..n];
            upd(p0, p1, g0, g1, t0, t1, m, v, cur, dirty, a);
    }
}
#[inline(always)]
fn obs2(x0: &[f32], x1: &[f32], y0: &[f32], y1: &[f32], o: &mut [f32], ga0: &mut [f32], ga1: &mut [f32], gb0: &mut [f32], gb1: &mut [f32], eps: f32) {
                let n = o.len();
                let (x0, x1, y0, y1, ga0, ga1, gb0, gb1, o) = (&x0[..n], &x1[..n], &y0[..n], &y1[..n], &mut ga0[..n], &mut ga1[..n], &mut gb0[..n], &mut gb1[..n], &mut o[..n]);
                for c in 0..n {
                    let p = 0.0 + x0[c] * y0[c] + x1[c] * y1[c];
                    o[c] = p;
                    let g = 0.0 - bce(p, eps);
                    ga0[c] = 0.0 + g * y0[c] + 0.0 * y1[c];
                    ga1[c] = 0.0 + 0.0 * y0[c] + g * y1[c];
                    gb0[c] = gb0[c] + g * x0[c] + 0.0 * x1[c];
                    gb1[c] = gb1[c] + 0.0 * x0[c] + g * x1[c];
                }
}
#[inline(always)]
fn upd(p0: &mut [f32], p1: &mut [f32], g0: &[f32], g1: &[f32], t0: &mut [f32], t1: &mut [f32], m: &mut [f32], v: &mut [f32], cur: &mut [u32], dirty: &mut [bool], a: f32) {
            let n = p0.len();
            let (p0, p1, g0, g1, t0, t1, m, v, cur, dirty) = (&mut p0[..n], &mut p1[..n], &g0[..n], &g1[..n], &mut t0[..n], &mut t1[..n], &mut m[..n], &mut v[..n], &mut cur[..n], &mut dirty[..n]);
            for c in 0..n {
                let x = p0[c] * p1[c] * (g0[c] - g1[c]);
                let mc = B1 * m[c] + (1.0 - B1) * x;
                let vc = B2 * v[c] + (1.0 - B2) * x * x;
                m[c] = mc; v[c] = vc;
                let u = a * mc / (vc.sqrt() + 1e-8);
                t0[c] -= u; t1[c] += u;
            }
            for c in 0..n {
                let am = (t1[c] > t0[c]) as u32;
                dirty[c] |= am != cur[c];
                cur[c] = am;
                p1[c] = exp_fast(t0[c] - t1[c]);
            }
            for c in 0..n { let q = 1.0 / (1.0 + p1[c]); p0[c] = 1.0 - q; p1[c] = q; }
}
#[inline(always)]
fn loss_sweep(s: &mut S) {
    let (k, n) = (s.k, s.n);
    let eps = 1e-12f32;
    // loss products
    let (acc, ex) = (&mut s.acc[..n], &mut s.ex[..n]);
    for j in 0..k {
        let o = &s.obs[j * n..(j + 1) * n];
        if j % 2 == 1 {
            for c in 0..n { let bits = (acc[c] * o[c].max(eps)).to_bits(); ex[c] += ((bits >> 23) & 0xff) as i32 - 127; acc[c] = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000); }
        } else { for c in 0..n { acc[c] *= o[c].max(eps); } }
    }
    // discrete sweep: count violations
    let viol = &mut s.viol[..n];
    viol.fill(0);
    for j in 0..k {
        let xa = if j == 0 { None } else { Some(&s.cur[(j - 1) * n..j * n]) };
        let xb = if j + 1 == k { None } else { Some(&s.cur[j * n..(j + 1) * n]) };
        match (xa, xb) {
            (Some(xa), Some(xb)) => for c in 0..n { viol[c] += (xa[c] != xb[c]) as u32; },
            (None, Some(x)) | (Some(x), None) => for c in 0..n { viol[c] += (x[c] != 0) as u32; },
            _ => {}
        }
    }
}
fn main() {
    let (k, n, steps) = (256usize, 48usize, 3000);
    let h = k - 1;
    let mut best = [f64::INFINITY; 2];
    for _ in 0..7 {
        for (way, b) in best.iter_mut().enumerate() {
            let mut s = S { k, n, p: (0..2 * h * n).map(|i| if (i / n) % 2 == 0 { 0.4 } else { 0.6 }).collect(), g: vec![0.0; 2 * h * n],
                t: (0..2 * h * n).map(|i| ((i * 13) % 17) as f32 * 0.1 - 0.8).collect(), m: vec![0.0; h * n], v: vec![0.0; h * n], cur: vec![0; h * n],
                obs: vec![0.0; k * n], acc: vec![1.0; n], ex: vec![0; n], dirty: vec![false; n], viol: vec![0; n] };
            let t = Instant::now();
            for st in 1..=steps {
                let a = 0.1 * (1.0 - 0.999f32.powi(st as i32)).sqrt() / (1.0 - 0.9f32.powi(st as i32));
                // SAFETY: the development machine has AVX2 (check `grep avx2 /proc/cpuinfo`).
                unsafe { if way == 0 { step::<true>(&mut s, a) } else { step::<false>(&mut s, a) } }
            }
            *b = b.min(t.elapsed().as_secs_f64());
            std::hint::black_box(&s.p);
        }
    }
    for (name, b) in ["update inside the pass", "update after the pass"].iter().zip(best) {
        println!("{name:>24}: {:.1} ms for {steps} steps, {:.2} ns per hole and column", b * 1e3, b * 1e9 / (steps * h * n) as f64);
    }
}
