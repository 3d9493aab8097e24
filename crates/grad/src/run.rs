//! The driver: R restarts of one method as one batch, every discrete program checked exactly.

// Restart loops index several parallel buffers (loss, weights, active, rngs) at once.
#![allow(clippy::needless_range_loop)]

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use weft_ir::{Assignment, Evaluator};
use weft_solve::{Observer, Problem};

use crate::config::{Config, Method};
use crate::math::exp_fast;
use crate::relax::Kernel;
use crate::GradError;

/// How one restart ended.
#[derive(Clone, Debug, PartialEq)]
pub enum RestartOutcome {
    /// Its discrete program passed every example (checked by the exact evaluator) after
    /// `step` updates, `elapsed` into the batched run.
    Solved {
        step: usize,
        elapsed: Duration,
        assignment: Assignment,
    },
    /// Its loss or gradient became NaN or infinite at `step`; it was stopped there.
    NonFinite { step: usize },
    /// No success within the step budget (or the run was stopped).
    Unsolved,
}

/// One restart's result.
#[derive(Clone, Debug, PartialEq)]
pub struct RestartResult {
    pub outcome: RestartOutcome,
    /// The relaxed loss at the last step it ran.
    pub final_loss: f32,
}

/// The result of a batched run.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub config: Config,
    pub restarts: Vec<RestartResult>,
    /// Steps the batch ran (it stops early when every restart has ended).
    pub steps_run: usize,
    /// Forward and backward passes actually computed, summed over restarts (a restart stops
    /// being computed once it has ended): the work done.
    pub restart_steps: u64,
    pub elapsed: Duration,
    /// Stopped by the observer or the timeout before the step budget.
    pub stopped: Option<String>,
}

impl Report {
    /// Restarts that succeeded.
    pub fn solved(&self) -> usize {
        self.restarts
            .iter()
            .filter(|r| matches!(r.outcome, RestartOutcome::Solved { .. }))
            .count()
    }
    /// Restarts whose loss became non-finite.
    pub fn non_finite(&self) -> usize {
        self.restarts
            .iter()
            .filter(|r| matches!(r.outcome, RestartOutcome::NonFinite { .. }))
            .count()
    }
    /// Fraction of restarts that succeeded.
    pub fn success_rate(&self) -> f64 {
        self.solved() as f64 / self.restarts.len().max(1) as f64
    }
    /// Mean steps to success over the successful restarts.
    pub fn mean_steps(&self) -> Option<f64> {
        let s: Vec<usize> = self
            .restarts
            .iter()
            .filter_map(|r| match r.outcome {
                RestartOutcome::Solved { step, .. } => Some(step),
                _ => None,
            })
            .collect();
        (!s.is_empty()).then(|| s.iter().sum::<usize>() as f64 / s.len() as f64)
    }
    /// The first success (fewest steps; lowest restart index among equals).
    pub fn first(&self) -> Option<(usize, usize, &Assignment)> {
        self.restarts
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match &r.outcome {
                RestartOutcome::Solved {
                    step, assignment, ..
                } => Some((*step, i, assignment)),
                _ => None,
            })
            .min_by_key(|x| (x.0, x.1))
            .map(|(s, i, a)| (i, s, a))
    }
    /// Wall time per restart-step of the batch (the batch's wall time divided by restarts ×
    /// steps run): what one run of one step costs when run in this batch.
    pub fn seconds_per_restart_step(&self) -> f64 {
        self.elapsed.as_secs_f64() / (self.restarts.len() * self.steps_run.max(1)) as f64
    }
    /// Restart-steps actually computed per second of wall time ([`Report::restart_steps`]
    /// over the batch's wall time): the throughput of the kernel and the updates.
    pub fn restart_steps_per_second(&self) -> f64 {
        self.restart_steps as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A seed for restart `r`: every restart has its own stream, so restart `r` follows the same
/// trajectory whatever the number of restarts.
fn restart_seed(seed: u64, r: usize) -> u64 {
    let mut z = seed
        ^ (r as u64)
            .wrapping_add(1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn normal(rng: &mut StdRng) -> f32 {
    let u1: f32 = rng.random::<f32>().max(1e-12);
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
}

fn gumbel(rng: &mut StdRng) -> f32 {
    let u: f32 = rng.random::<f32>().clamp(1e-12, 1.0 - 1e-7);
    -(-u.ln()).ln()
}

const B1: f32 = 0.9;
const B2: f32 = 0.999;

/// Adam over rows of parameters in column layout (`[i · RC + c]`); only the first `n` columns
/// (the running restarts) are touched.
struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
    lr: f32,
}

impl Adam {
    fn new(len: usize, lr: f32) -> Adam {
        Adam {
            m: vec![0.0; len],
            v: vec![0.0; len],
            t: 0,
            lr,
        }
    }
    /// Starts step `t + 1`; returns its bias-corrected learning rate.
    fn advance(&mut self) -> f32 {
        self.t += 1;
        let c1 = 1.0 - B1.powi(self.t);
        let c2 = 1.0 - B2.powi(self.t);
        self.lr * c2.sqrt() / c1
    }
    /// One Adam step. `mirror[i]`: the gradient of row `i` is always exactly the negation of
    /// row `i − 1`'s (the two logits of a two-valued hole), so its moments are the negation
    /// and the copy of row `i − 1`'s and its update is exactly the negated update: computed
    /// once, applied to both (bit for bit what the full computation gives, at half the cost).
    #[inline(always)]
    fn step(
        &mut self,
        params: &mut [f32],
        grads: &[f32],
        rc: usize,
        n: usize,
        mirror: Option<&[bool]>,
    ) {
        let a = self.advance();
        self.rows(a, params, grads, rc, n, mirror, None);
    }
    /// The rows of one step with learning rate `a` (from [`Adam::advance`]), except those
    /// marked in `skip` (updated elsewhere, by a fused pass).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn rows(
        &mut self,
        a: f32,
        params: &mut [f32],
        grads: &[f32],
        rc: usize,
        n: usize,
        mirror: Option<&[bool]>,
        skip: Option<&[bool]>,
    ) {
        let rows = params.len() / rc.max(1);
        let is_mirror = |i: usize| mirror.is_some_and(|m| m.get(i) == Some(&true));
        for i in 0..rows {
            if is_mirror(i) || skip.is_some_and(|s| s[i]) {
                continue;
            }
            let s = i * rc..i * rc + n;
            if is_mirror(i + 1) {
                let (lo, hi) = params.split_at_mut((i + 1) * rc);
                adam_paired(
                    a,
                    &mut lo[s.clone()],
                    &mut hi[..n],
                    &grads[s.clone()],
                    &mut self.m[s.clone()],
                    &mut self.v[s],
                );
                continue;
            }
            for (((p, g), m), v) in params[s.clone()]
                .iter_mut()
                .zip(&grads[s.clone()])
                .zip(&mut self.m[s.clone()])
                .zip(&mut self.v[s])
            {
                *m = B1 * *m + (1.0 - B1) * g;
                *v = B2 * *v + (1.0 - B2) * g * g;
                *p -= a * *m / (v.sqrt() + 1e-8);
            }
        }
    }
}

/// Adam's update of one row `p` and its mirror `q` (see [`Adam::step`]). A function of its
/// own so that the slices are known not to alias and the loop is vectorised.
#[inline(always)]
fn adam_paired(a: f32, p: &mut [f32], q: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    let n = p.len();
    let (q, g, m, v) = (&mut q[..n], &g[..n], &mut m[..n], &mut v[..n]);
    for c in 0..n {
        m[c] = B1 * m[c] + (1.0 - B1) * g[c];
        v[c] = B2 * v[c] + (1.0 - B2) * g[c] * g[c];
        let u = a * m[c] / (v[c].sqrt() + 1e-8);
        p[c] -= u;
        q[c] += u;
    }
}

/// The rows of one two-valued hole over the running columns, for the fused updates (which take
/// them one by one, destructured: as separate `&mut` arguments the compiler knows they do not
/// overlap; passed inside this struct it did not, and tested pairs of rows for overlap before
/// every hole's loop, half the time of a Bop step's update).
struct Rows2<'a> {
    /// Its distribution `p(false)`, `p(true)` (the kernel's rows: this step's, overwritten
    /// with the next step's).
    p0: &'a mut [f32],
    p1: &'a mut [f32],
    /// `∂loss/∂p(false)`, `∂loss/∂p(true)` of this step.
    g0: &'a [f32],
    g1: &'a [f32],
    /// The current program's value of the hole, and whether any hole's changed in this step's
    /// update (`flips`: 0 or 1 per column, folded into the driver's `dirty` after the update; a
    /// word rather than a `bool`, so that the vectorised loops need not pack their comparisons
    /// into bytes: 11 instructions a vector of eight columns, against 4).
    cur: &'a mut [u32],
    flips: &'a mut [u32],
    /// Non-finite detector: `+ g · 0` is NaN exactly when `g` is not finite.
    bad: &'a mut [f32],
}

impl<'a> Rows2<'a> {
    /// Hole `h`'s rows: the kernel's values and gradients (column stride `rc`), and the
    /// driver's per-column state over the `n` running columns.
    #[inline(always)]
    fn of(
        (vals, grads): (&'a mut [f32], &'a [f32]),
        h: usize,
        rc: usize,
        n: usize,
        cur: &'a mut [u32],
        flips: &'a mut [u32],
        bad: &'a mut [f32],
    ) -> Rows2<'a> {
        let (p0, p1) = vals.split_at_mut(rc);
        Rows2 {
            p0: &mut p0[..n],
            p1: &mut p1[..n],
            g0: &grads[..n],
            g1: &grads[rc..rc + n],
            cur: &mut cur[h * rc..h * rc + n],
            flips: &mut flips[..n],
            bad: &mut bad[..n],
        }
    }
}

/// The whole end of an FMGD step for one two-valued hole: the softmax gradient with respect
/// to the logits, Adam (paired: the second logit moves by exactly the negation), the
/// non-finite check, then the next step's argmax and sigmoid (at inverse temperature
/// `it_next`). Computes exactly what separate passes would (the same operations in the same
/// order on every value), in three loops over the columns instead of six.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fmgd2_fused(
    p0: &mut [f32],
    p1: &mut [f32],
    g0: &[f32],
    g1: &[f32],
    cur: &mut [u32],
    flips: &mut [u32],
    bad: &mut [f32],
    [a, it, it_next]: [f32; 3],
    t0: &mut [f32],
    t1: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    let n = cur.len();
    let (p0, p1, g0, g1) = (&mut p0[..n], &mut p1[..n], &g0[..n], &g1[..n]);
    let (flips, bad) = (&mut flips[..n], &mut bad[..n]);
    let (t0, t1, m, v) = (&mut t0[..n], &mut t1[..n], &mut m[..n], &mut v[..n]);
    for c in 0..n {
        // p0 (g0 − p·g) = p0 p1 (g0 − g1), and the other logit's is its negative. The
        // difference is not finite exactly when a gradient is not (or when the difference of
        // two finite ones overflows, which would wreck Adam's moments just the same).
        let diff = g0[c] - g1[c];
        bad[c] += diff * 0.0;
        let x = p0[c] * p1[c] * diff * it;
        let mc = B1 * m[c] + (1.0 - B1) * x;
        let vc = B2 * v[c] + (1.0 - B2) * x * x;
        m[c] = mc;
        v[c] = vc;
        let u = a * mc / (vc.sqrt() + 1e-8);
        t0[c] -= u;
        t1[c] += u;
    }
    // The next step: the argmax (the first maximum) and the two-way softmax, in two more
    // loops over the same columns (still in the L1 cache). In one loop, each column was one
    // long chain of dependent operations (Adam's square root and division, `exp`, the
    // sigmoid's division) and the core sat waiting on their latency: three shorter chains
    // overlap better (`benchmarks/grad/experiments/fused_update.rs`, this update over 255
    // holes × 48 columns: 2.47 ns per parameter in one loop, 1.77 in two, 1.58 in these
    // three; four were slower). In
    // the driver, the second loop and the rows passed one by one took about a fifth off a
    // one-thread FMGD step; the third loop's gain is within the noise there.
    for c in 0..n {
        let (th0, th1) = (t0[c], t1[c]);
        let am = (th1 > th0) as u32;
        flips[c] |= (am != cur[c]) as u32;
        cur[c] = am;
        p1[c] = exp_fast((th0 - th1) * it_next);
    }
    for c in 0..n {
        let q1 = 1.0 / (1.0 + p1[c]);
        p0[c] = 1.0 - q1;
        p1[c] = q1;
    }
}

/// The whole end of a Bop step for one two-valued hole, in one pass: the non-finite check,
/// the running average (rate `gm`) of both gradient rows, the thresholded flip, and the next
/// step's one-hot distribution. Exactly what the separate passes computed.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn bop2_fused(
    p0: &mut [f32],
    p1: &mut [f32],
    g0: &[f32],
    g1: &[f32],
    cur: &mut [u32],
    flips: &mut [u32],
    bad: &mut [f32],
    gm: f32,
    tau: f32,
    m0: &mut [f32],
    m1: &mut [f32],
) {
    let n = cur.len();
    let (p0, p1, g0, g1) = (&mut p0[..n], &mut p1[..n], &g0[..n], &g1[..n]);
    let (flips, bad, m0, m1) = (&mut flips[..n], &mut bad[..n], &mut m0[..n], &mut m1[..n]);
    for c in 0..n {
        bad[c] = (bad[c] + g0[c] * 0.0) + g1[c] * 0.0;
        let a0 = (1.0 - gm) * m0[c] + gm * g0[c];
        let a1 = (1.0 - gm) * m1[c] + gm * g1[c];
        m0[c] = a0;
        m1[c] = a1;
        // One candidate, no tie to break: the estimate of the flip is m[other] − m[cur] =
        // (1 − 2·cur)(m1 − m0) (exactly: a sign).
        let x = cur[c];
        let sign = 1.0 - 2.0 * x as f32;
        let flip = (a1 - a0) * sign < -tau;
        let x = x ^ flip as u32;
        cur[c] = x;
        flips[c] |= flip as u32;
        p0[c] = if x == 0 { 1.0 } else { 0.0 };
        p1[c] = if x == 0 { 0.0 } else { 1.0 };
    }
}

/// What the fused updates of a step share: the fused holes, as (hole, parameter offset)
/// pairs, the column stride `rc` and the `w` columns computed, and the driver's per-column
/// state (see [`Rows2`]).
struct FusedRows<'a> {
    holes: &'a [(usize, usize)],
    rc: usize,
    w: usize,
    cur: &'a mut [u32],
    flips: &'a mut [u32],
    bad: &'a mut [f32],
}

/// [`fmgd2_fused`] for every fused hole, with `coefs` = `[a, it, it_next]`, the logits in
/// `theta` and Adam's moments in `m` and `v` (parameter layout). A function of its own,
/// compiled for the widest vector instructions, so that its loops get the registers to
/// themselves: inlined in the driver's step, half of each hole's set-up was spills.
fn fmgd_fused_all(
    kernel: &mut Kernel,
    rows: FusedRows,
    coefs: [f32; 3],
    theta: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    widest_simd!(fmgd_fused_all_body, (
        kernel: &mut Kernel = kernel,
        rows: FusedRows = rows,
        coefs: [f32; 3] = coefs,
        theta: &mut [f32] = theta,
        m: &mut [f32] = m,
        v: &mut [f32] = v,
    ) -> ())
}

#[inline(always)]
fn fmgd_fused_all_body(
    kernel: &mut Kernel,
    rows: FusedRows,
    coefs: [f32; 3],
    theta: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    let FusedRows {
        holes,
        rc,
        w,
        cur,
        flips,
        bad,
    } = rows;
    for &(h, off) in holes {
        let (t0, t1) = theta[off * rc..].split_at_mut(rc);
        let Rows2 {
            p0,
            p1,
            g0,
            g1,
            cur,
            flips,
            bad,
        } = Rows2::of(kernel.hole_rows_mut(h), h, rc, w, cur, flips, bad);
        let mv = off * rc..off * rc + w;
        fmgd2_fused(
            p0,
            p1,
            g0,
            g1,
            cur,
            flips,
            bad,
            coefs,
            t0,
            t1,
            &mut m[mv.clone()],
            &mut v[mv],
        );
    }
}

/// [`bop2_fused`] for every fused hole, with `[γ, τ]` and the running averages in `avg`
/// (parameter layout); a function of its own as [`fmgd_fused_all`] is. (The loop over the
/// holes repeats `fmgd_fused_all_body`'s on purpose: one helper handing each hole's rows to a
/// closure made FMGD's step 526 k instructions instead of 336 k.)
fn bop_fused_all(kernel: &mut Kernel, rows: FusedRows, gamma_tau: [f32; 2], avg: &mut [f32]) {
    widest_simd!(bop_fused_all_body, (
        kernel: &mut Kernel = kernel,
        rows: FusedRows = rows,
        gamma_tau: [f32; 2] = gamma_tau,
        avg: &mut [f32] = avg,
    ) -> ())
}

#[inline(always)]
fn bop_fused_all_body(kernel: &mut Kernel, rows: FusedRows, [gm, tau]: [f32; 2], avg: &mut [f32]) {
    let FusedRows {
        holes,
        rc,
        w,
        cur,
        flips,
        bad,
    } = rows;
    for &(h, off) in holes {
        let (m0, m1) = avg[off * rc..].split_at_mut(rc);
        let Rows2 {
            p0,
            p1,
            g0,
            g1,
            cur,
            flips,
            bad,
        } = Rows2::of(kernel.hole_rows_mut(h), h, rc, w, cur, flips, bad);
        bop2_fused(p0, p1, g0, g1, cur, flips, bad, gm, tau, m0, m1);
    }
}

/// Swaps columns `a` and `b` of every row of `buf` (column layout, `rc` columns).
fn swap_cols<T>(buf: &mut [T], rc: usize, a: usize, b: usize) {
    if rc == 0 {
        return;
    }
    for row in buf.chunks_exact_mut(rc) {
        row.swap(a, b);
    }
}

/// The neural reparameterisation: per restart, logits = `W2 · tanh(W1 · z + b1) + b2`. All
/// arrays in column layout (`[i · RC + c]`), so every operation is a loop over restarts.
struct Neural {
    n: usize,
    d: usize,
    /// Fixed input per restart, `n` rows.
    z: Vec<f32>,
    /// `W1 (n × n)`, `b1 (n)`, `W2 (D × n)`, `b2 (D)`: `per` rows.
    params: Vec<f32>,
    grads: Vec<f32>,
    /// Hidden activations of the last forward, `n` rows; and their gradient.
    h: Vec<f32>,
    gh: Vec<f32>,
}

impl Neural {
    fn new(rc: usize, d: usize, n: usize, scale: f32, rngs: &mut [StdRng]) -> Neural {
        let per = n * n + n + d * n + d;
        let mut z = vec![0.0; rc * n];
        let mut params = vec![0.0; rc * per];
        let s1 = 1.0 / (n as f32).sqrt();
        for (c, rng) in rngs.iter_mut().enumerate() {
            for k in 0..n {
                z[k * rc + c] = normal(rng);
            }
            for q in 0..n * n {
                params[q * rc + c] = normal(rng) * s1;
            }
            // W2 scaled so that the initial logits have about `scale` standard deviation.
            for q in n * n + n..n * n + n + d * n {
                params[q * rc + c] = normal(rng) * s1 * scale * 1.5;
            }
        }
        Neural {
            n,
            d,
            z,
            params,
            grads: vec![0.0; rc * per],
            h: vec![0.0; rc * n],
            gh: vec![0.0; rc * n],
        }
    }

    /// Writes the logits of the first `nc` columns into `theta` (`D` rows).
    #[inline(always)]
    fn forward(&mut self, theta: &mut [f32], rc: usize, nc: usize) {
        let (n, d) = (self.n, self.d);
        let row = |q: usize| q * rc..q * rc + nc;
        let (w1, b1, w2, b2) = (0, n * n, n * n + n, n * n + n + d * n);
        for i in 0..n {
            let h = &mut self.h[row(i)];
            h.fill(0.0);
            for k in 0..n {
                let (w, z) = (&self.params[row(w1 + i * n + k)], &self.z[row(k)]);
                for ((h, w), z) in h.iter_mut().zip(w).zip(z) {
                    *h += w * z;
                }
            }
            for (h, b) in h.iter_mut().zip(&self.params[row(b1 + i)]) {
                *h = (*h + b).tanh();
            }
        }
        for j in 0..d {
            let l = &mut theta[row(j)];
            l.fill(0.0);
            for i in 0..n {
                let (w, h) = (&self.params[row(w2 + j * n + i)], &self.h[row(i)]);
                for ((l, w), h) in l.iter_mut().zip(w).zip(h) {
                    *l += w * h;
                }
            }
            for (l, b) in l.iter_mut().zip(&self.params[row(b2 + j)]) {
                *l += b;
            }
        }
    }

    /// Back-propagates `glogits` (`D` rows) into `self.grads`.
    #[inline(always)]
    fn backward(&mut self, glogits: &[f32], rc: usize, nc: usize) {
        let (n, d) = (self.n, self.d);
        let row = |q: usize| q * rc..q * rc + nc;
        let (w1, b1, w2, b2) = (0, n * n, n * n + n, n * n + n + d * n);
        for i in 0..n {
            self.gh[row(i)].fill(0.0);
        }
        for j in 0..d {
            let gl = &glogits[row(j)];
            self.grads[row(b2 + j)].copy_from_slice(gl);
            for i in 0..n {
                let q = w2 + j * n + i;
                for ((g, x), h) in self.grads[row(q)].iter_mut().zip(gl).zip(&self.h[row(i)]) {
                    *g = x * h;
                }
                for ((gh, x), w) in self.gh[row(i)].iter_mut().zip(gl).zip(&self.params[row(q)]) {
                    *gh += x * w;
                }
            }
        }
        for i in 0..n {
            let (gh, h) = (&mut self.gh[row(i)], &self.h[row(i)]);
            for (g, h) in gh.iter_mut().zip(h) {
                *g *= 1.0 - h * h;
            }
            self.grads[row(b1 + i)].copy_from_slice(gh);
            for k in 0..n {
                let q = w1 + i * n + k;
                for ((g, a), z) in self.grads[row(q)].iter_mut().zip(&*gh).zip(&self.z[row(k)]) {
                    *g = a * z;
                }
            }
        }
    }

    fn swap(&mut self, rc: usize, a: usize, b: usize) {
        swap_cols(&mut self.z, rc, a, b);
        swap_cols(&mut self.params, rc, a, b);
    }
}

/// Picks the minimum of `score(i)` over `0..n` (skipping `skip`), ties broken uniformly at
/// random (reservoir sampling over the tied indices).
fn argmin_random(
    n: usize,
    skip: impl Fn(usize) -> bool,
    score: impl Fn(usize) -> f32,
    rng: &mut StdRng,
) -> Option<(usize, f32)> {
    let mut best: Option<(usize, f32)> = None;
    let mut ties = 0u32;
    for i in 0..n {
        if skip(i) {
            continue;
        }
        let s = score(i);
        if s.is_nan() {
            continue;
        }
        match best {
            Some((_, b)) if s > b => {}
            Some((_, b)) if s == b => {
                ties += 1;
                if rng.random_range(0..ties) == 0 {
                    best = Some((i, s));
                }
            }
            _ => {
                best = Some((i, s));
                ties = 1;
            }
        }
    }
    best
}

/// What the chunks of one run share.
struct Shared {
    start: Instant,
    deadline: Option<Instant>,
    /// Set when the observer cancels the run.
    stop: AtomicBool,
}

/// One chunk's part of the report.
struct ChunkReport {
    restarts: Vec<RestartResult>,
    steps_run: usize,
    restart_steps: u64,
    stopped: Option<String>,
}

/// The number of threads a run uses: `config.threads`, or every core when it is 0; never more
/// than the restarts.
fn threads(config: &Config) -> usize {
    let t = match config.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        t => t,
    };
    t.clamp(1, config.restarts.max(1))
}

/// Splits `r` restarts into `t` contiguous chunks of nearly equal size whose boundaries fall on
/// multiples of [`LANES`] where the sizes allow: the kernel's loops run over a chunk's columns
/// in vectors of 16, and a remainder of a few columns costs nearly as much as a full vector
/// (100 restarts on two threads: 48 + 52, not 50 + 50, so only one chunk has a remainder).
fn chunks(r: usize, t: usize) -> Vec<Range<usize>> {
    let bound = |i: usize| {
        let b = i * r / t;
        if r >= t * LANES && i > 0 && i < t {
            (b + LANES / 2) / LANES * LANES
        } else {
            b
        }
    };
    (0..t).map(|i| bound(i)..bound(i + 1)).collect()
}

/// About how many bytes a batch of `restarts` restarts of `p` takes: per restart, three rows
/// (values, gradients, the discrete sweep's) per domain value of every node, times the
/// examples for nodes that depend on an input and for static nodes read by one (their
/// broadcast copy), plus the driver's per-parameter state (parameters, two Adam moments,
/// gradient, running average, noise, program), and for neural reparameterisation its network
/// (weights, their gradients and two Adam moments; activations). Counted in `u64` so that no
/// size overflows.
fn memory_estimate(p: &Problem, config: &Config) -> u64 {
    // The columns allocated: every chunk's, padded.
    let restarts: usize = chunks(config.restarts, threads(config))
        .iter()
        .map(|c| padded_columns(c.len()))
        .sum();
    let g = p.graph;
    let e = p.examples.len().max(1) as u64;
    // (Read defensively: the graph is checked later, by the kernel.)
    let domain_size =
        |d: weft_ir::DomainId| g.domains.get(d.0 as usize).map_or(0, |d| u64::from(d.size));
    let dynamic = g.input_dependent();
    let mut read_dynamic = vec![false; g.nodes.len()];
    let mut params = 0u64;
    for (i, nd) in g.nodes.iter().enumerate() {
        if dynamic[i] {
            for a in nd.node.args() {
                if let Some(r) = read_dynamic.get_mut(a.0 as usize) {
                    *r = true;
                }
            }
        }
        if matches!(nd.node, weft_ir::Node::Hole(_)) {
            params += domain_size(nd.domain);
        }
    }
    let mut per_restart = 0u64;
    for (i, nd) in g.nodes.iter().enumerate() {
        let copies = if dynamic[i] {
            e
        } else if read_dynamic[i] {
            1 + e
        } else {
            1
        };
        per_restart = per_restart.saturating_add(domain_size(nd.domain).saturating_mul(copies));
    }
    // Values, gradients and discrete values (12 bytes a value), the driver's state per
    // parameter, and the kernel's rows per column and example (weights, zeros, ones, the loss
    // products and their exponents, a scratch row and the fused ops' two-row sink).
    let mut per_restart = per_restart
        .saturating_mul(12)
        .saturating_add(params.saturating_mul(28))
        .saturating_add(e.saturating_mul(32));
    if config.method == Method::Neural {
        // `Neural::new`: n² + n + d·n + d weights, four f32 each; three rows of n.
        let n = config.hidden as u64;
        let weights = n
            .saturating_mul(n)
            .saturating_add(n)
            .saturating_add(params.saturating_mul(n))
            .saturating_add(params);
        per_restart = per_restart
            .saturating_add(weights.saturating_mul(16))
            .saturating_add(n.saturating_mul(12));
    }
    per_restart.saturating_mul(restarts as u64)
}

/// The most memory a batch may take: three quarters of the machine's physical memory
/// (`/proc/meminfo`), or 16 GiB where that cannot be read. The CLI holds other batched
/// computations (`weft asm tune`) to the same limit.
pub fn memory_limit() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb.saturating_mul(1024))
        });
        total.map_or(16 << 30, |t| t / 4 * 3)
    })
}

/// GradSearch+'s smoothed value `1 − smooth·(n−1)` must stay the largest of a hole's `n`
/// values (and positive): `smooth < 1/n` for the largest hole.
fn check_smoothing(p: &Problem, config: &Config) -> Result<(), GradError> {
    if config.method != Method::GradSearchPlus || config.smooth == 0.0 {
        return Ok(());
    }
    let g = p.graph;
    let widest = g
        .holes
        .iter()
        .filter_map(|h| g.domains.get(h.domain.0 as usize))
        .map(|d| d.size)
        .max()
        .unwrap_or(0);
    if widest >= 2 && f64::from(config.smooth) * f64::from(widest) >= 1.0 {
        return Err(GradError::BadHyper(format!(
            "--smooth must be below 1/{widest} for this sketch (its widest hole has {widest} \
             values, and the current value must keep the largest share), got {}",
            config.smooth
        )));
    }
    Ok(())
}

/// The widest vectors the kernel's loops use, in `f32` lanes (AVX-512).
const LANES: usize = 16;

/// The columns a chunk of `real` restarts is given: a multiple of [`vector_lanes`] once
/// there are two vectors' worth. A loop over 52 columns runs six vectors and then four columns
/// one by one, and took longer than one over 56 (FMGD at K = 256, one thread: 0.23–0.31 s
/// against 0.21–0.24 s for 3000 steps). Smaller batches are left alone: padding one restart
/// to eight would cost little time but eight times the memory, which a large sketch run with
/// few restarts may not have.
fn padded_columns(real: usize) -> usize {
    let lanes = vector_lanes();
    if real >= 2 * lanes {
        real.div_ceil(lanes) * lanes
    } else {
        real
    }
}

/// The `f32` lanes of the widest vectors this CPU's copy of the kernel uses (see
/// `widest_simd!`).
fn vector_lanes() -> usize {
    if crate::math::has_avx512() {
        16
    } else if crate::math::has_avx2() {
        8
    } else {
        4
    }
}

/// Runs `config.restarts` restarts of `config.method` on `p` as one batch.
///
/// The restarts are split into one contiguous chunk per thread ([`Config::threads`]); each
/// chunk is a batch of its own. Every restart has its own random stream and its columns never
/// mix with another's, so the report is the same whatever the number of threads.
pub fn run(p: &Problem, config: &Config, obs: &mut dyn Observer) -> Result<Report, GradError> {
    config.validate()?;
    check_smoothing(p, config)?;
    let need = memory_estimate(p, config);
    let limit = memory_limit();
    if need > limit {
        return Err(GradError::TooLarge {
            restarts: config.restarts,
            bytes: need,
            limit,
        });
    }
    let start = Instant::now();
    let shared = Shared {
        start,
        deadline: config.timeout.and_then(|t| start.checked_add(t)),
        stop: AtomicBool::new(false),
    };
    let r = config.restarts;
    let t = threads(config);
    let chunks = chunks(r, t);
    let parts: Vec<ChunkReport> = if t == 1 {
        vec![run_chunk(p, config, 0..r, &shared, Some(obs))?]
    } else {
        // The other chunks go to the pool's workers (see `crate::pool`), which need data of
        // their own: shared copies of the graph, the examples, the configuration and `shared`.
        let shared = Arc::new(shared);
        let data = Arc::new((p.graph.clone(), p.examples.clone(), config.clone()));
        let (done, finished) = std::sync::mpsc::channel();
        for (i, rg) in chunks.iter().enumerate().skip(1) {
            let (rg, shared, data) = (rg.clone(), Arc::clone(&shared), Arc::clone(&data));
            crate::pool::spawn(i, done.clone(), move || {
                let (graph, examples, config) = &*data;
                let p = Problem { graph, examples };
                let part = run_chunk(&p, config, rg, &shared, None);
                if part.is_err() {
                    // The batch has failed: the other chunks stop.
                    shared.stop.store(true, Ordering::Relaxed);
                }
                part
            });
        }
        drop(done);
        // This thread runs the first chunk and speaks to the observer.
        let first = run_chunk(p, config, chunks[0].clone(), &shared, Some(&mut *obs));
        if first.is_err() {
            shared.stop.store(true, Ordering::Relaxed);
        }
        let mut parts: Vec<Option<Result<ChunkReport, GradError>>> =
            (0..chunks.len()).map(|_| None).collect();
        parts[0] = Some(first);
        let mut running = chunks.len() - 1;
        while running > 0 {
            match finished.recv_timeout(Duration::from_millis(2)) {
                Ok((i, part)) => {
                    running -= 1;
                    match part {
                        Ok(part) => parts[i] = Some(part),
                        Err(panic) => {
                            // The other chunks stop; the panic goes on here.
                            shared.stop.store(true, Ordering::Relaxed);
                            std::panic::resume_unwind(panic)
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if obs.cancelled() {
                        shared.stop.store(true, Ordering::Relaxed);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let mut out = Vec::with_capacity(parts.len());
        for part in parts {
            out.push(part.expect("every gradient chunk reported")?);
        }
        out
    };
    let mut report = Report {
        config: config.clone(),
        restarts: Vec::with_capacity(r),
        steps_run: 0,
        restart_steps: 0,
        elapsed: Duration::ZERO,
        stopped: None,
    };
    for part in parts {
        report.restarts.extend(part.restarts);
        report.steps_run = report.steps_run.max(part.steps_run);
        report.restart_steps += part.restart_steps;
        report.stopped = report.stopped.or(part.stopped);
    }
    report.elapsed = start.elapsed();
    Ok(report)
}

/// The batched run of restarts `restarts`. State is in column layout: parameter `i` of the
/// restart in column `c` is at `[i · RC + c]`; running restarts occupy the first `n` columns
/// (a finished restart is swapped to the end and no longer computed).
fn run_chunk(
    p: &Problem,
    config: &Config,
    restarts: Range<usize>,
    shared: &Shared,
    obs: Option<&mut dyn Observer>,
) -> Result<ChunkReport, GradError> {
    widest_simd!(run_chunk_body, (
        p: &Problem = p,
        config: &Config = config,
        restarts: Range<usize> = restarts,
        shared: &Shared = shared,
        obs: Option<&mut dyn Observer> = obs,
    ) -> Result<ChunkReport, GradError>)
}

#[inline(always)]
fn run_chunk_body(
    p: &Problem,
    config: &Config,
    restarts: Range<usize>,
    shared: &Shared,
    mut obs: Option<&mut dyn Observer>,
) -> Result<ChunkReport, GradError> {
    let g = p.graph;
    let real = restarts.len();
    // The columns, padded to whole vectors (see `padded_columns`): the padding columns are
    // restarts of their own that nothing ever checks or reports.
    let lanes = vector_lanes();
    let rc = padded_columns(real);
    let mut kernel = Kernel::new(g, p.examples, rc, config.log_eps, config.cost_weight)?;
    let mut ev = Evaluator::new(g).map_err(|e| GradError::Graph(e.to_string()))?;
    let d = kernel.dims();
    let layout = kernel.hole_layout();
    let nh = layout.len();
    let e = kernel.examples();
    let method = config.method;
    // Methods whose program is a current value per hole (`cur`), not the argmax of logits.
    let discrete = method.is_discrete() && method != Method::Ste;
    let mut rngs: Vec<StdRng> = restarts
        .clone()
        .chain((real..rc).map(|c| usize::MAX - c))
        .map(|i| StdRng::seed_from_u64(restart_seed(config.seed, i)))
        .collect();
    // The restart (index into this chunk) in each column.
    let mut col: Vec<usize> = (0..rc).collect();

    // State, column layout.
    let mut theta = vec![0f32; d * rc];
    // The discrete program: `cur` of the discrete methods, the argmax of the logits otherwise.
    let mut cur = vec![0u32; nh * rc];
    if discrete {
        for (c, rng) in rngs.iter_mut().enumerate() {
            for (h, &(_, size)) in layout.iter().enumerate() {
                cur[h * rc + c] = rng.random_range(0..size.max(1) as u32);
            }
        }
    } else {
        for (c, rng) in rngs.iter_mut().enumerate() {
            for i in 0..d {
                theta[i * rc + c] = normal(rng) * config.init_scale;
            }
        }
    }
    let mut neural = (method == Method::Neural)
        .then(|| Neural::new(rc, d, config.hidden, config.init_scale, &mut rngs));
    let mut adam = match &neural {
        Some(nn) => Adam::new(nn.params.len(), config.lr),
        None => Adam::new(rc * d, config.lr),
    };
    let mut noise = vec![0f32; if method == Method::Gumbel { rc * d } else { 0 }];
    let mut gtheta = vec![0f32; rc * d];
    let mut avg = vec![0f32; rc * d];
    let mut buf = vec![0f32; 0];
    // The hole of every parameter index (GradSearch's moves are parameter indices).
    let mut hole_of = vec![0u32; d];
    for (h, &(off, size)) in layout.iter().enumerate() {
        hole_of[off..off + size].fill(h as u32);
    }
    // The second logit of every two-valued hole (its gradient is the negation of the first's
    // under the softmax; see `Adam::step`).
    let mut mirror = vec![false; d];
    for &(off, size) in &layout {
        if size == 2 {
            mirror[off + 1] = true;
        }
    }
    let mut cur_idx = vec![0usize; nh];
    let mut cur_g = vec![0f32; nh];
    let mut best_loss = vec![f32::INFINITY; rc];
    let mut since_best = vec![0usize; rc];
    // Per column: the last step's loss, and whether its program changed since it was last
    // checked by the evaluator.
    let mut loss = vec![0f32; rc];
    let mut dirty = vec![true; rc];
    // The fused updates' record of changed programs (see `Rows2`).
    let mut flips = vec![0u32; rc];
    let mut finished = vec![false; rc];
    let mut bad = vec![0f32; rc];
    let mut viol = vec![0u32; rc];
    let mut need: Vec<usize> = Vec::with_capacity(rc);

    let mut results: Vec<RestartResult> = (0..real)
        .map(|_| RestartResult {
            outcome: RestartOutcome::Unsolved,
            final_loss: f32::NAN,
        })
        .collect();
    let mut n = real;
    let mut assign = Assignment(vec![0; nh]);
    let mut stopped = None;
    let mut steps_run = 0;
    let mut restart_steps = 0u64;
    let steps = config.steps;
    // The two-valued holes whose end of step runs as one fused pass (`fmgd2_fused`,
    // `bop2_fused`): from the second step on, their distributions and programs are already set
    // when a step starts.
    let fuse = matches!(method, Method::Fmgd | Method::Temp | Method::Bop);
    let fused: Vec<bool> = layout.iter().map(|&(_, size)| fuse && size == 2).collect();
    // The holes whose distributions and programs each step sets (`todo(step)`): every hole at
    // the first step, then the holes not fused (a loop over the list, not over every hole
    // testing `fused`: at K = 256 those tests were 2% of an FMGD step).
    let every_hole: Vec<usize> = (0..nh).collect();
    let unfused: Vec<usize> = (0..nh).filter(|&h| !fused[h]).collect();
    let fused_holes: Vec<(usize, usize)> = (0..nh)
        .filter(|&h| fused[h])
        .map(|h| (h, layout[h].0))
        .collect();
    let todo = |step: usize| {
        if step > 0 {
            &unfused[..]
        } else {
            &every_hole[..]
        }
    };
    let mut fused_row = vec![false; d];
    for (h, &(off, size)) in layout.iter().enumerate() {
        if fused[h] {
            fused_row[off..off + size].fill(true);
        }
    }
    let temp_at = |step: usize| match method {
        Method::Temp | Method::TempReg => {
            let frac = if steps > 1 {
                step.min(steps - 1) as f32 / (steps - 1) as f32
            } else {
                0.0
            };
            config.temp_start * (config.temp_end / config.temp_start).powf(frac)
        }
        Method::Gumbel => config.gumbel_tau,
        _ => 1.0,
    };
    // The discrete methods' distributions are one-hot (unless smoothed).
    kernel.set_one_hot(
        method.is_discrete() && !(method == Method::GradSearchPlus && config.smooth != 0.0),
    );
    let prefilter = method.is_discrete()
        && method != Method::GradSearchPlus
        && config.cost_weight == 0.0
        && config.log_eps < 0.1;

    for step in 0..=steps {
        steps_run = step;
        restart_steps += n as u64;
        // The columns computed: the running restarts, and up to the end of their last vector
        // (padding, or restarts that have finished: computed, never looked at).
        let w = (n.div_ceil(lanes) * lanes).min(rc);
        kernel.set_active(w);
        // 1. Parameters → hole distributions, written straight into the kernel's rows.
        let temp = temp_at(step);
        if let Some(nn) = &mut neural {
            nn.forward(&mut theta, rc, n);
        }
        if method == Method::Gumbel {
            for c in 0..n {
                for i in 0..d {
                    noise[i * rc + c] = gumbel(&mut rngs[c]);
                }
            }
        }
        if discrete {
            let s = if method == Method::GradSearchPlus {
                config.smooth
            } else {
                0.0
            };
            for &h in todo(step) {
                let size = layout[h].1;
                if size == 0 {
                    continue;
                }
                let cr = &cur[h * rc..h * rc + w];
                let rows = kernel.hole_vals_mut(h);
                if size == 2 {
                    let (r0, r1) = rows.split_at_mut(rc);
                    for ((a, b), &x) in r0[..w].iter_mut().zip(&mut r1[..w]).zip(cr) {
                        *a = if x == 0 { 1.0 - s } else { s };
                        *b = if x == 0 { s } else { 1.0 - s };
                    }
                    continue;
                }
                for v in 0..size {
                    rows[v * rc..v * rc + w].fill(s);
                }
                for (c, &x) in cr.iter().enumerate() {
                    rows[x as usize * rc + c] = 1.0 - s * (size as f32 - 1.0);
                }
            }
        } else {
            // The discrete program: argmax of the logits (the first maximum).
            for &h in todo(step) {
                let (off, size) = layout[h];
                let cr = &mut cur[h * rc..h * rc + w];
                let t = &theta[off * rc..(off + size) * rc];
                if size == 2 {
                    let (t0, t1) = (&t[..w], &t[rc..rc + w]);
                    for (((x, dt), a), b) in cr.iter_mut().zip(&mut dirty[..w]).zip(t0).zip(t1) {
                        let a = (b > a) as u32;
                        *dt |= a != *x;
                        *x = a;
                    }
                    continue;
                }
                for (c, x) in cr.iter_mut().enumerate() {
                    let mut best = 0;
                    for v in 1..size {
                        if t[v * rc + c] > t[best * rc + c] {
                            best = v;
                        }
                    }
                    dirty[c] |= best as u32 != *x;
                    *x = best as u32;
                }
            }
            if method == Method::Ste {
                for (h, &(_, size)) in layout.iter().enumerate() {
                    let cr = &cur[h * rc..h * rc + w];
                    let rows = kernel.hole_vals_mut(h);
                    for v in 0..size {
                        rows[v * rc..v * rc + w].fill(0.0);
                    }
                    for (c, &x) in cr.iter().enumerate() {
                        rows[x as usize * rc + c] = 1.0;
                    }
                }
            } else {
                let it = 1.0 / temp;
                for &h in todo(step) {
                    let (off, size) = layout[h];
                    let t = &theta[off * rc..(off + size) * rc];
                    let nz = if noise.is_empty() {
                        None
                    } else {
                        Some(&noise[off * rc..(off + size) * rc])
                    };
                    let rows = kernel.hole_vals_mut(h);
                    if size == 2 {
                        // The two-way softmax is a sigmoid: one exp, no division by a sum.
                        let (r0, r1) = rows.split_at_mut(rc);
                        let (r0, r1) = (&mut r0[..w], &mut r1[..w]);
                        let (t0, t1) = (&t[..w], &t[rc..rc + w]);
                        match nz {
                            None => {
                                for c in 0..w {
                                    r1[c] = (t0[c] - t1[c]) * it;
                                }
                            }
                            Some(z) => {
                                let (z0, z1) = (&z[..w], &z[rc..rc + w]);
                                for c in 0..w {
                                    r1[c] = ((t0[c] + z0[c]) - (t1[c] + z1[c])) * it;
                                }
                            }
                        }
                        for (a, b) in r0.iter_mut().zip(r1.iter_mut()) {
                            let p1 = 1.0 / (1.0 + exp_fast(*b));
                            *a = 1.0 - p1;
                            *b = p1;
                        }
                        continue;
                    }
                    buf.resize(size, 0.0);
                    // One column at a time: the padding would gain nothing here.
                    for c in 0..n {
                        for v in 0..size {
                            let z = nz.map_or(0.0, |z| z[v * rc + c]);
                            buf[v] = (t[v * rc + c] + z) * it;
                        }
                        softmax_in_place(&mut buf);
                        for v in 0..size {
                            rows[v * rc + c] = buf[v];
                        }
                    }
                }
            }
        }

        // 2. Forward and backward.
        loss[..w].copy_from_slice(kernel.forward());
        kernel.backward_rows();

        // 3. The discrete program of every running restart, checked exactly when it changed.
        // First the kernel's discrete sweep, over the columns to check at once (gathered
        // when they are at most half: the gathering costs about as much as a sweep): a program
        // it finds violating an observation or an output fails (no need to ask the evaluator).
        need.clear();
        need.extend((0..n).filter(|&c| dirty[c] && !(prefilter && loss[c] >= 0.5)));
        let gather = need.len() * 2 <= n;
        if !need.is_empty() {
            if gather {
                kernel.violations_of(&cur, &need, &mut viol);
            } else {
                kernel.violations(&cur, &mut viol);
            }
        }
        for (j, &c) in need.iter().enumerate() {
            if viol[if gather { j } else { c }] > 0 {
                dirty[c] = false;
            }
        }
        for c in 0..n {
            // On exact one-hot values the relaxed semantics *is* the exact semantics: every
            // satisfied term costs −ln 1 = 0 and every violated one −ln(log_eps) ≈ 27.6. A
            // restart whose loss is not ~0 cannot pass, so the evaluator is spared; only the
            // evaluator ever declares success.
            if !dirty[c] || (prefilter && loss[c] >= 0.5) {
                continue;
            }
            for h in 0..nh {
                assign.0[h] = cur[h * rc + c];
            }
            dirty[c] = false;
            let ok = ev
                .passes_all(g, &assign, p.examples)
                .map_err(|e| GradError::Graph(e.to_string()))?;
            if ok {
                results[col[c]].outcome = RestartOutcome::Solved {
                    step,
                    elapsed: shared.start.elapsed(),
                    assignment: assign.clone(),
                };
                finished[c] = true;
            }
        }
        if let Some(o) = obs.as_deref_mut() {
            o.progress(step as u64, Some(steps as u64));
            if o.cancelled() {
                shared.stop.store(true, Ordering::Relaxed);
            }
        }
        let all_done = finished[..n].iter().all(|&f| f);
        if all_done || step == steps {
            break;
        }
        if shared.stop.load(Ordering::Relaxed) {
            stopped = Some("cancelled".to_string());
            break;
        }
        if shared.deadline.is_some_and(|t| Instant::now() >= t) {
            stopped = Some(format!(
                "timeout after {:.1} s",
                shared.start.elapsed().as_secs_f64()
            ));
            break;
        }

        // Non-finite losses or gradients stop their restart. `x · 0` is NaN exactly when `x`
        // is not finite, so one vectorised sum per column finds them.
        bad[..w].fill(0.0);
        // (A fused hole's are checked in its fused pass, below, before anything reads `bad`.)
        for &h in &unfused {
            let gr = kernel.hole_grads(h);
            for v in 0..layout[h].1 {
                for (b, &x) in bad[..n].iter_mut().zip(&gr[v * rc..v * rc + n]) {
                    *b += x * 0.0;
                }
            }
        }

        // 4. The update, of every column still computed (a restart that has just finished, or
        // whose gradient is found non-finite below, is updated too, harmlessly: it is dropped
        // below).
        match method {
            Method::Fmgd
            | Method::FmgdReg
            | Method::Temp
            | Method::TempReg
            | Method::Gumbel
            | Method::Neural => {
                let reg = matches!(method, Method::FmgdReg | Method::TempReg);
                let it = 1.0 / temp;
                let a = adam.advance();
                let it_next = 1.0 / temp_at(step + 1);
                let rows = FusedRows {
                    holes: &fused_holes,
                    rc,
                    w,
                    cur: &mut cur,
                    flips: &mut flips,
                    bad: &mut bad,
                };
                let (m, v) = (&mut adam.m[..], &mut adam.v[..]);
                fmgd_fused_all(&mut kernel, rows, [a, it, it_next], &mut theta, m, v);
                for &h in &unfused {
                    let (off, size) = layout[h];
                    let pr = kernel.hole_vals(h);
                    let gp = kernel.hole_grads(h);
                    let gt = &mut gtheta[off * rc..(off + size) * rc];
                    if size == 2 && !reg {
                        // p0 (g0 − p·g) = p0 p1 (g0 − g1), and the other is its negative.
                        let (gt0, gt1) = gt.split_at_mut(rc);
                        let (gt0, gt1) = (&mut gt0[..n], &mut gt1[..n]);
                        let (p0, p1) = (&pr[..n], &pr[rc..rc + n]);
                        let (g0, g1) = (&gp[..n], &gp[rc..rc + n]);
                        for c in 0..n {
                            let x = p0[c] * p1[c] * (g0[c] - g1[c]) * it;
                            gt0[c] = x;
                            gt1[c] = -x;
                        }
                        continue;
                    }
                    buf.resize(size * 2, 0.0);
                    for c in 0..n {
                        let (gq, pq) = buf.split_at_mut(size);
                        for v in 0..size {
                            gq[v] = gp[v * rc + c];
                            pq[v] = pr[v * rc + c];
                        }
                        if reg {
                            // λ · H(p), H = −Σ p ln p: ∂/∂p_j = −λ (ln p_j + 1).
                            for (gj, &pj) in gq.iter_mut().zip(pq.iter()) {
                                *gj -= config.reg * (pj.max(1e-30).ln() + 1.0);
                            }
                        }
                        let dot: f32 = gq.iter().zip(pq.iter()).map(|(a, b)| a * b).sum();
                        for v in 0..size {
                            gt[v * rc + c] = pq[v] * (gq[v] - dot) * it;
                        }
                    }
                }
                match &mut neural {
                    Some(nn) => {
                        nn.backward(&gtheta, rc, n);
                        adam.rows(a, &mut nn.params, &nn.grads, rc, n, None, None);
                    }
                    // (Nothing left when every hole was updated by its fused pass.)
                    None if unfused.is_empty() => {}
                    None => adam.rows(
                        a,
                        &mut theta,
                        &gtheta,
                        rc,
                        n,
                        (!reg).then_some(&mirror[..]),
                        Some(&fused_row),
                    ),
                }
            }
            Method::Ste => {
                for (h, &(off, size)) in layout.iter().enumerate() {
                    gtheta[off * rc..(off + size) * rc].copy_from_slice(kernel.hole_grads(h));
                }
                adam.step(&mut theta, &gtheta, rc, n, None);
            }
            Method::Bop => {
                let gm = config.gamma;
                let rows = FusedRows {
                    holes: &fused_holes,
                    rc,
                    w,
                    cur: &mut cur,
                    flips: &mut flips,
                    bad: &mut bad,
                };
                bop_fused_all(&mut kernel, rows, [gm, config.tau], &mut avg);
                for &h in &unfused {
                    let (off, size) = layout[h];
                    let gr = kernel.hole_grads(h);
                    let m = &mut avg[off * rc..(off + size) * rc];
                    for v in 0..size {
                        for (a, &x) in m[v * rc..v * rc + n].iter_mut().zip(&gr[v * rc..]) {
                            *a = (1.0 - gm) * *a + gm * x;
                        }
                    }
                    let cr = &mut cur[h * rc..h * rc + n];
                    if size == 2 {
                        // One candidate, no tie to break: the estimate of the flip is
                        // m[other] − m[cur] = (1 − 2·cur)(m1 − m0) (exactly: a sign).
                        let (m0, m1) = (&m[..n], &m[rc..rc + n]);
                        for (((x, dt), a), b) in cr.iter_mut().zip(&mut dirty[..n]).zip(m0).zip(m1)
                        {
                            let sign = 1.0 - 2.0 * *x as f32;
                            let flip = (b - a) * sign < -config.tau;
                            *x ^= flip as u32;
                            *dt |= flip;
                        }
                        continue;
                    }
                    for (c, x) in cr.iter_mut().enumerate() {
                        let now = *x as usize;
                        let mc = m[now * rc + c];
                        if let Some((j, delta)) =
                            argmin_random(size, |j| j == now, |j| m[j * rc + c] - mc, &mut rngs[c])
                        {
                            if delta < -config.tau {
                                *x = j as u32;
                                dirty[c] = true;
                            }
                        }
                    }
                }
            }
            Method::GradSearch | Method::GradSearchRa | Method::GradSearchPlus => {
                let ra = method != Method::GradSearch;
                let plus = method == Method::GradSearchPlus;
                let b = config.beta;
                // The signal ranked: the running average of the gradient, or the gradient.
                for (h, &(off, size)) in layout.iter().enumerate() {
                    let gr = kernel.hole_grads(h);
                    let m = &mut avg[off * rc..(off + size) * rc];
                    for v in 0..size {
                        let (m, x) = (&mut m[v * rc..v * rc + n], &gr[v * rc..v * rc + n]);
                        if ra {
                            for (a, &x) in m.iter_mut().zip(x) {
                                *a = (1.0 - b) * *a + b * x;
                            }
                        } else {
                            m.copy_from_slice(x);
                        }
                    }
                }
                let src = &avg;
                for c in 0..n {
                    let rng = &mut rngs[c];
                    if plus && rng.random::<f32>() < config.greedy_eps {
                        // ε-greedy: a uniformly random Hamming-1 move.
                        let movable: Vec<usize> = (0..nh).filter(|&h| layout[h].1 > 1).collect();
                        if !movable.is_empty() {
                            let h = movable[rng.random_range(0..movable.len())];
                            let size = layout[h].1 as u32;
                            let x = &mut cur[h * rc + c];
                            *x = (*x + rng.random_range(1..size)) % size;
                            dirty[c] = true;
                        }
                    } else {
                        // Algorithm 1: every Hamming-1 move (hole h to value j) is estimated
                        // by g[h][j] − g[h][cur h] (§2.3: the binary rule (1 − 2w)·∇ is the
                        // two-value case of the categorical one); the best is taken.
                        let hole_of = |i: usize| hole_of[i] as usize;
                        for (h, &(off, _)) in layout.iter().enumerate() {
                            cur_idx[h] = off + cur[h * rc + c] as usize;
                            cur_g[h] = src[cur_idx[h] * rc + c];
                        }
                        let pick = argmin_random(
                            d,
                            |i| i == cur_idx[hole_of(i)],
                            |i| src[i * rc + c] - cur_g[hole_of(i)],
                            rng,
                        );
                        if let Some((i, _)) = pick {
                            let h = hole_of(i);
                            cur[h * rc + c] = (i - layout[h].0) as u32;
                            dirty[c] = true;
                        }
                    }
                    if plus {
                        let l = loss[c];
                        if l < best_loss[c] - 1e-6 * best_loss[c].abs() {
                            best_loss[c] = l;
                            since_best[c] = 0;
                        } else {
                            since_best[c] += 1;
                            if since_best[c] >= config.stall {
                                // Stalemate: re-weight the examples at random, exponentially.
                                let w = &mut kernel.weights_mut()[c * e..(c + 1) * e];
                                for x in w.iter_mut() {
                                    *x = (config.reweight * rng.random::<f32>()).exp();
                                }
                                since_best[c] = 0;
                                best_loss[c] = f32::INFINITY;
                            }
                        }
                    }
                }
            }
        }

        // The programs the fused updates changed are to be checked next step.
        for (d, f) in dirty[..w].iter_mut().zip(&mut flips[..w]) {
            *d |= *f != 0;
            *f = 0;
        }

        // The non-finite verdicts (`bad` is complete only now: the fused passes fill it in).
        for c in 0..n {
            if finished[c] {
                continue;
            }
            results[col[c]].final_loss = loss[c];
            if !loss[c].is_finite() || bad[c].is_nan() {
                results[col[c]].outcome = RestartOutcome::NonFinite { step };
                finished[c] = true;
            }
        }
        if finished[..n].iter().all(|&f| f) {
            break;
        }

        // 5. Finished restarts leave the batch: swapped to the end, no longer computed.
        for c in (0..n).rev() {
            if !finished[c] {
                continue;
            }
            let last = n - 1;
            if c != last {
                swap_cols(&mut theta, rc, c, last);
                swap_cols(&mut cur, rc, c, last);
                swap_cols(&mut avg, rc, c, last);
                swap_cols(&mut adam.m, rc, c, last);
                swap_cols(&mut adam.v, rc, c, last);
                if let Some(nn) = &mut neural {
                    nn.swap(rc, c, last);
                }
                rngs.swap(c, last);
                col.swap(c, last);
                best_loss.swap(c, last);
                since_best.swap(c, last);
                dirty.swap(c, last);
                finished.swap(c, last);
                kernel.swap_columns(c, last);
            }
            n -= 1;
        }
    }
    Ok(ChunkReport {
        restarts: results,
        steps_run,
        restart_steps,
        stopped,
    })
}

fn softmax_in_place(x: &mut [f32]) {
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for v in x.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    for v in x.iter_mut() {
        *v /= s;
    }
}

#[cfg(test)]
mod tests {
    use super::{chunks, LANES};

    #[test]
    fn chunks_cover_the_restarts_in_order_with_whole_vectors_inside() {
        for r in 1..300 {
            for t in 1..=4usize.min(r) {
                let cs = chunks(r, t);
                assert_eq!(cs.len(), t);
                assert_eq!((cs[0].start, cs[t - 1].end), (0, r), "{r} {t}");
                for w in cs.windows(2) {
                    assert_eq!(w[0].end, w[1].start, "{r} {t}");
                    if r >= t * LANES {
                        assert_eq!(w[0].end % LANES, 0, "{r} {t}");
                    }
                }
                // Nearly equal: no chunk is empty or more than one vector off an equal share.
                for c in &cs {
                    assert!(!c.is_empty(), "{r} {t}");
                    assert!(c.len().abs_diff(r / t) <= LANES, "{r} {t} {c:?}");
                }
            }
        }
        assert_eq!(chunks(100, 2), vec![0..48, 48..100]);
    }
}
