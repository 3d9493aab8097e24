//! The driver: R restarts of one method as one batch, every discrete program checked exactly.

// Restart loops index several parallel buffers (loss, weights, active, rngs) at once.
#![allow(clippy::needless_range_loop)]

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use weft_ir::{Assignment, Evaluator};
use weft_solve::{Observer, Problem};

use crate::config::{Config, Method};
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

/// Adam over `R` blocks of `n` parameters; inactive restarts are left alone.
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
    fn step(&mut self, params: &mut [f32], grads: &[f32], n: usize, active: &[bool]) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        self.t += 1;
        let c1 = 1.0 - B1.powi(self.t);
        let c2 = 1.0 - B2.powi(self.t);
        let a = self.lr * c2.sqrt() / c1;
        for (r, &on) in active.iter().enumerate() {
            if !on {
                continue;
            }
            let s = r * n..(r + 1) * n;
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

/// The neural reparameterisation: per restart, logits = `W2 · tanh(W1 · z + b1) + b2`.
struct Neural {
    n: usize,
    /// Fixed input per restart, `R × n`.
    z: Vec<f32>,
    /// Per restart: `W1 (n × n)`, `b1 (n)`, `W2 (D × n)`, `b2 (D)`.
    params: Vec<f32>,
    grads: Vec<f32>,
    /// Hidden activations of the last forward, `R × n`.
    h: Vec<f32>,
    per: usize,
}

impl Neural {
    fn new(r: usize, d: usize, n: usize, scale: f32, rngs: &mut [StdRng]) -> Neural {
        let per = n * n + n + d * n + d;
        let mut z = vec![0.0; r * n];
        let mut params = vec![0.0; r * per];
        let s1 = 1.0 / (n as f32).sqrt();
        for (ri, rng) in rngs.iter_mut().enumerate() {
            for x in &mut z[ri * n..(ri + 1) * n] {
                *x = normal(rng);
            }
            let p = &mut params[ri * per..(ri + 1) * per];
            for x in &mut p[..n * n] {
                *x = normal(rng) * s1;
            }
            // W2 scaled so that the initial logits have about `scale` standard deviation.
            for x in &mut p[n * n + n..n * n + n + d * n] {
                *x = normal(rng) * s1 * scale * 1.5;
            }
        }
        Neural {
            n,
            z,
            params,
            grads: vec![0.0; r * per],
            h: vec![0.0; r * n],
            per,
        }
    }

    /// Writes the logits of every restart into `theta` (`R × D`).
    fn forward(&mut self, theta: &mut [f32], d: usize) {
        let n = self.n;
        for (ri, logits) in theta.chunks_mut(d).enumerate() {
            let p = &self.params[ri * self.per..(ri + 1) * self.per];
            let (w1, rest) = p.split_at(n * n);
            let (b1, rest) = rest.split_at(n);
            let (w2, b2) = rest.split_at(d * n);
            let z = &self.z[ri * n..(ri + 1) * n];
            let h = &mut self.h[ri * n..(ri + 1) * n];
            for i in 0..n {
                let s: f32 = w1[i * n..(i + 1) * n]
                    .iter()
                    .zip(z)
                    .map(|(a, b)| a * b)
                    .sum();
                h[i] = (s + b1[i]).tanh();
            }
            for (j, l) in logits.iter_mut().enumerate() {
                let s: f32 = w2[j * n..(j + 1) * n]
                    .iter()
                    .zip(&*h)
                    .map(|(a, b)| a * b)
                    .sum();
                *l = s + b2[j];
            }
        }
    }

    /// Back-propagates `glogits` (`R × D`) into `self.grads`.
    fn backward(&mut self, glogits: &[f32], d: usize) {
        let n = self.n;
        for (ri, gl) in glogits.chunks(d).enumerate() {
            let p = &self.params[ri * self.per..(ri + 1) * self.per];
            let w2 = &p[n * n + n..n * n + n + d * n];
            let g = &mut self.grads[ri * self.per..(ri + 1) * self.per];
            let z = &self.z[ri * n..(ri + 1) * n];
            let h = &self.h[ri * n..(ri + 1) * n];
            let mut gh = vec![0.0f32; n];
            {
                let (_, rest) = g.split_at_mut(n * n + n);
                let (gw2, gb2) = rest.split_at_mut(d * n);
                for j in 0..d {
                    let x = gl[j];
                    gb2[j] = x;
                    for i in 0..n {
                        gw2[j * n + i] = x * h[i];
                        gh[i] += x * w2[j * n + i];
                    }
                }
            }
            let (gw1, rest) = g.split_at_mut(n * n);
            let gb1 = &mut rest[..n];
            for i in 0..n {
                let ga = gh[i] * (1.0 - h[i] * h[i]);
                gb1[i] = ga;
                for k in 0..n {
                    gw1[i * n + k] = ga * z[k];
                }
            }
        }
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

/// Runs `config.restarts` restarts of `config.method` on `p` as one batch.
pub fn run(p: &Problem, config: &Config, obs: &mut dyn Observer) -> Result<Report, GradError> {
    config.validate()?;
    let start = Instant::now();
    let g = p.graph;
    let r = config.restarts;
    let mut kernel = Kernel::new(g, p.examples, r, config.log_eps, config.cost_weight)?;
    let mut ev = Evaluator::new(g).map_err(|e| GradError::Graph(e.to_string()))?;
    let d = kernel.dims();
    let layout = kernel.hole_layout();
    let nh = layout.len();
    let e = kernel.examples();
    let method = config.method;
    let mut rngs: Vec<StdRng> = (0..r)
        .map(|i| StdRng::seed_from_u64(restart_seed(config.seed, i)))
        .collect();

    // State.
    let mut theta = vec![0f32; r * d];
    let mut cur = vec![0u32; r * nh];
    if method.is_discrete() && method != Method::Ste {
        for (ri, rng) in rngs.iter_mut().enumerate() {
            for (h, &(_, size)) in layout.iter().enumerate() {
                cur[ri * nh + h] = rng.random_range(0..size.max(1) as u32);
            }
        }
    } else {
        for (ri, rng) in rngs.iter_mut().enumerate() {
            for x in &mut theta[ri * d..(ri + 1) * d] {
                *x = normal(rng) * config.init_scale;
            }
        }
    }
    let mut neural = (method == Method::Neural)
        .then(|| Neural::new(r, d, config.hidden, config.init_scale, &mut rngs));
    let mut adam = match &neural {
        Some(nn) => Adam::new(nn.params.len(), config.lr),
        None => Adam::new(r * d, config.lr),
    };
    let mut noise = vec![0f32; if method == Method::Gumbel { r * d } else { 0 }];
    let mut probs = vec![0f32; r * d];
    let mut grad = vec![0f32; r * d];
    let mut gtheta = vec![0f32; r * d];
    let mut avg = vec![0f32; r * d];
    // The hole of every parameter index (GradSearch's moves are parameter indices).
    let mut hole_of = vec![0u32; d];
    for (h, &(off, size)) in layout.iter().enumerate() {
        hole_of[off..off + size].fill(h as u32);
    }
    let mut cur_idx = vec![0usize; nh];
    let mut cur_g = vec![0f32; nh];
    let mut best_loss = vec![f32::INFINITY; r];
    let mut since_best = vec![0usize; r];

    let mut results: Vec<RestartResult> = (0..r)
        .map(|_| RestartResult {
            outcome: RestartOutcome::Unsolved,
            final_loss: f32::NAN,
        })
        .collect();
    let mut active = vec![true; r];
    let mut n_active = r;
    let mut last_checked: Vec<Option<Vec<u32>>> = vec![None; r];
    let mut assign = Assignment(vec![0; nh]);
    let mut stopped = None;
    let mut steps_run = 0;
    let deadline = config.timeout.map(|t| start + t);
    let steps = config.steps;
    let prefilter = method.is_discrete()
        && method != Method::GradSearchPlus
        && config.cost_weight == 0.0
        && config.log_eps < 0.1;

    for step in 0..=steps {
        steps_run = step;
        // 1. Parameters → hole distributions.
        let temp = match method {
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
        if let Some(nn) = &mut neural {
            nn.forward(&mut theta, d);
        }
        if method == Method::Gumbel {
            for (ri, rng) in rngs.iter_mut().enumerate() {
                if active[ri] {
                    for x in &mut noise[ri * d..(ri + 1) * d] {
                        *x = gumbel(rng);
                    }
                }
            }
        }
        if method.is_discrete() && method != Method::Ste {
            let s = if method == Method::GradSearchPlus {
                config.smooth
            } else {
                0.0
            };
            for ri in 0..r {
                for (h, &(off, size)) in layout.iter().enumerate() {
                    if size == 0 {
                        continue;
                    }
                    let c = cur[ri * nh + h] as usize;
                    let row = &mut probs[ri * d + off..ri * d + off + size];
                    if size == 2 {
                        row[c] = 1.0 - s;
                        row[1 - c] = s;
                        continue;
                    }
                    row.fill(s);
                    row[c] = 1.0 - s * (size as f32 - 1.0);
                }
            }
        } else if method == Method::Ste {
            for ri in 0..r {
                for &(off, size) in &layout {
                    if size == 0 {
                        continue;
                    }
                    let base = ri * d + off;
                    let c = argmax(&theta[base..base + size]);
                    probs[base..base + size].fill(0.0);
                    probs[base + c] = 1.0;
                }
            }
        } else {
            let it = 1.0 / temp;
            for ri in 0..r {
                for &(off, size) in &layout {
                    let base = ri * d + off;
                    let n = |i: usize| {
                        if noise.is_empty() {
                            0.0
                        } else {
                            noise[base + i]
                        }
                    };
                    if size == 2 {
                        // The two-way softmax is a sigmoid: one exp, no division by a sum.
                        let x = ((theta[base] + n(0)) - (theta[base + 1] + n(1))) * it;
                        let p1 = 1.0 / (1.0 + x.exp());
                        probs[base] = 1.0 - p1;
                        probs[base + 1] = p1;
                        continue;
                    }
                    let out = &mut probs[base..base + size];
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = (theta[base + i] + n(i)) * it;
                    }
                    softmax_in_place(out);
                }
            }
        }

        // 2. Forward and backward.
        kernel.set_holes(&probs);
        kernel.forward();
        kernel.backward(&mut grad);

        // 3. The discrete program of every active restart, checked exactly when it changed.
        for ri in 0..r {
            if !active[ri] {
                continue;
            }
            // On exact one-hot values the relaxed semantics *is* the exact semantics: every
            // satisfied term costs −ln 1 = 0 and every violated one −ln(log_eps) ≈ 27.6. A
            // restart whose loss is not ~0 cannot pass, so the evaluator is spared; only the
            // evaluator ever declares success.
            if prefilter && kernel.loss()[ri] >= 0.5 {
                continue;
            }
            for (h, &(off, size)) in layout.iter().enumerate() {
                assign.0[h] = if method.is_discrete() && method != Method::Ste {
                    cur[ri * nh + h]
                } else {
                    argmax(&theta[ri * d + off..ri * d + off + size]) as u32
                };
            }
            if last_checked[ri].as_deref() == Some(&assign.0[..]) {
                continue;
            }
            let ok = ev
                .passes_all(g, &assign, p.examples)
                .map_err(|e| GradError::Graph(e.to_string()))?;
            if ok {
                results[ri].outcome = RestartOutcome::Solved {
                    step,
                    elapsed: start.elapsed(),
                    assignment: assign.clone(),
                };
                active[ri] = false;
                n_active -= 1;
            } else {
                match &mut last_checked[ri] {
                    Some(v) => v.copy_from_slice(&assign.0),
                    x => *x = Some(assign.0.clone()),
                }
            }
        }
        obs.progress(step as u64, Some(steps as u64));
        if n_active == 0 || step == steps {
            break;
        }
        if obs.cancelled() {
            stopped = Some("cancelled".to_string());
            break;
        }
        if deadline.is_some_and(|t| Instant::now() >= t) {
            stopped = Some(format!(
                "timeout after {:.1} s",
                start.elapsed().as_secs_f64()
            ));
            break;
        }

        for ri in 0..r {
            if !active[ri] {
                continue;
            }
            let l = kernel.loss()[ri];
            results[ri].final_loss = l;
            if !l.is_finite() || grad[ri * d..(ri + 1) * d].iter().any(|x| !x.is_finite()) {
                results[ri].outcome = RestartOutcome::NonFinite { step };
                active[ri] = false;
                n_active -= 1;
            }
        }
        if n_active == 0 {
            break;
        }

        // 4. The update.
        match method {
            Method::Fmgd
            | Method::FmgdReg
            | Method::Temp
            | Method::TempReg
            | Method::Gumbel
            | Method::Neural => {
                let reg = matches!(method, Method::FmgdReg | Method::TempReg);
                let it = 1.0 / temp;
                for ri in 0..r {
                    if !active[ri] {
                        continue;
                    }
                    for &(off, size) in &layout {
                        if size == 2 && !reg {
                            // p0 (g0 − p·g) = p0 p1 (g0 − g1), and the other is its negative.
                            let b = ri * d + off;
                            let x = probs[b] * probs[b + 1] * (grad[b] - grad[b + 1]) * it;
                            gtheta[b] = x;
                            gtheta[b + 1] = -x;
                            continue;
                        }
                        let s = ri * d + off..ri * d + off + size;
                        let pr = &probs[s.clone()];
                        let gp = &mut grad[s.clone()];
                        if reg {
                            // λ · H(p), H = −Σ p ln p: ∂/∂p_j = −λ (ln p_j + 1).
                            for (gj, &pj) in gp.iter_mut().zip(pr) {
                                *gj -= config.reg * (pj.max(1e-30).ln() + 1.0);
                            }
                        }
                        let dot: f32 = gp.iter().zip(pr).map(|(a, b)| a * b).sum();
                        for ((gt, &gj), &pj) in gtheta[s].iter_mut().zip(gp.iter()).zip(pr) {
                            *gt = pj * (gj - dot) * it;
                        }
                    }
                }
                match &mut neural {
                    Some(nn) => {
                        nn.backward(&gtheta, d);
                        adam.step(&mut nn.params, &nn.grads, nn.per, &active);
                    }
                    None => adam.step(&mut theta, &gtheta, d, &active),
                }
            }
            Method::Ste => adam.step(&mut theta, &grad, d, &active),
            Method::Bop => {
                let gm = config.gamma;
                for ri in 0..r {
                    if !active[ri] {
                        continue;
                    }
                    for (a, &x) in avg[ri * d..(ri + 1) * d]
                        .iter_mut()
                        .zip(&grad[ri * d..(ri + 1) * d])
                    {
                        *a = (1.0 - gm) * *a + gm * x;
                    }
                    let rng = &mut rngs[ri];
                    for (h, &(off, size)) in layout.iter().enumerate() {
                        let c = cur[ri * nh + h] as usize;
                        let m = &avg[ri * d + off..ri * d + off + size];
                        if size == 2 {
                            // One candidate: no tie to break.
                            if m[1 - c] - m[c] < -config.tau {
                                cur[ri * nh + h] = 1 - c as u32;
                            }
                            continue;
                        }
                        if let Some((j, delta)) =
                            argmin_random(size, |j| j == c, |j| m[j] - m[c], rng)
                        {
                            if delta < -config.tau {
                                cur[ri * nh + h] = j as u32;
                            }
                        }
                    }
                }
            }
            Method::GradSearch | Method::GradSearchRa | Method::GradSearchPlus => {
                let ra = method != Method::GradSearch;
                let plus = method == Method::GradSearchPlus;
                let b = config.beta;
                for ri in 0..r {
                    if !active[ri] {
                        continue;
                    }
                    let src = if ra {
                        for (a, &x) in avg[ri * d..(ri + 1) * d]
                            .iter_mut()
                            .zip(&grad[ri * d..(ri + 1) * d])
                        {
                            *a = (1.0 - b) * *a + b * x;
                        }
                        &avg[ri * d..(ri + 1) * d]
                    } else {
                        &grad[ri * d..(ri + 1) * d]
                    };
                    let rng = &mut rngs[ri];
                    let cr = &mut cur[ri * nh..(ri + 1) * nh];
                    if plus && rng.random::<f32>() < config.greedy_eps {
                        // ε-greedy: a uniformly random Hamming-1 move.
                        let movable: Vec<usize> = (0..nh).filter(|&h| layout[h].1 > 1).collect();
                        if !movable.is_empty() {
                            let h = movable[rng.random_range(0..movable.len())];
                            let size = layout[h].1 as u32;
                            let j = (cr[h] + rng.random_range(1..size)) % size;
                            cr[h] = j;
                        }
                    } else {
                        // Algorithm 1: every Hamming-1 move (hole h to value j) is estimated
                        // by g[h][j] − g[h][cur h] (§2.3: the binary rule (1 − 2w)·∇ is the
                        // two-value case of the categorical one); the best is taken.
                        let hole_of = |i: usize| hole_of[i] as usize;
                        for (h, &(off, _)) in layout.iter().enumerate() {
                            cur_idx[h] = off + cr[h] as usize;
                            cur_g[h] = src[cur_idx[h]];
                        }
                        let pick = argmin_random(
                            d,
                            |i| i == cur_idx[hole_of(i)],
                            |i| src[i] - cur_g[hole_of(i)],
                            rng,
                        );
                        if let Some((i, _)) = pick {
                            let h = hole_of(i);
                            cr[h] = (i - layout[h].0) as u32;
                        }
                    }
                    if plus {
                        let l = kernel.loss()[ri];
                        if l < best_loss[ri] - 1e-6 * best_loss[ri].abs() {
                            best_loss[ri] = l;
                            since_best[ri] = 0;
                        } else {
                            since_best[ri] += 1;
                            if since_best[ri] >= config.stall {
                                // Stalemate: re-weight the examples at random, exponentially.
                                let w = &mut kernel.weights_mut()[ri * e..(ri + 1) * e];
                                for x in w.iter_mut() {
                                    *x = (config.reweight * rng.random::<f32>()).exp();
                                }
                                since_best[ri] = 0;
                                best_loss[ri] = f32::INFINITY;
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(Report {
        config: config.clone(),
        restarts: results,
        steps_run,
        elapsed: start.elapsed(),
        stopped,
    })
}

fn argmax(x: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if v > x[best] {
            best = i;
        }
    }
    best
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
