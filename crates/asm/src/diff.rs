//! The differentiable machine of seed 003 (equations 1–12), forward and hand-written backward,
//! batched over independent runs and over examples in flat `f32` buffers.
//!
//! **State** per (run, example): the instruction register `l` (a distribution over the `L`
//! lines plus one absorbing *halted* position `L`), registers `R` (`R × b` distributions) and
//! memory `M` (`cells × b` distributions).
//!
//! **Controller** (eq. 1–2): every line `i` has five heads of logits: instruction (13), input
//! registers `a` and `b`, output register `c` (each `R`), and jump target (`L + 1`, the last
//! being "the end", i.e. halt). The step's instruction is the mixture `f = Σᵢ lᵢ softmax(W₀ᵢ)`,
//! likewise each argument (`= softmax(W l)` whenever `l` is one-hot, the compiled case). The
//! halted position behaves as a constant `stop` line. *Deviation from the seed*: there the jump
//! target is the second argument's distribution, which ties the line count to the register
//! count; here it is its own head.
//!
//! **Interpreter** (eq. 4–9): `v₁ = a·R`, `v₂ = b·R` (eq. 5); `o = Σₖ fₖ Σₓᵧ v₁ₓ v₂ᵧ e[Tₖ(x,y)]`
//! over the operation table (eq. 6), with `read`'s slice being the memory; only the ops that
//! write a register contribute, so `o` sums to `g = Σ_{k writes} fₖ`; the soft register write
//! `R' = R ⊙ (1 − g c) + c ⊗ o` (eq. 7, gated so that `write`, `jump`, `stop`, `noop` leave
//! registers alone); the soft memory write `M'ₓ = Mₓ(1 − w v₁ₓ) + w v₁ₓ v₂` with `w = f_write`
//! (eq. 8); and the probabilistic jump `l' = (1 − s − jz)·shift(l) + jz·target + s·e_halt` with
//! `j = f_jump`, `z = v₁[0]`, `s = f_stop` (eq. 9); `shift` moves line `i` to `i + 1` and the last
//! line back to the first: eq. 9's `l_n = l_t · T_inc` increments the instruction register
//! modulo, so only `stop` and a jump to the end halt. (An earlier version halted on running off
//! the end: a fuzzy loop then lost the mass of every untaken jump to the halted position on
//! each trip; `examples/probe.rs` measures the difference.)
//!
//! **Loss** (eq. 10–12): masked cross-entropy of the final memory and registers against the
//! expected values plus `λ Σₜ (1 − hₜ)` with `hₜ = lₜ[halt]` (monotone by construction, so the
//! running max of eq. 11 is the identity), averaged over examples, one loss per run.

use crate::machine::Machine;
use crate::op::{Op, NUM_OPS};
use crate::Error;

/// Probability floor inside the cross-entropy's logarithm.
pub const EPS: f32 = 1e-6;

/// The shape of a weight tensor: lines × (13 + 3·registers + lines + 1) logits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Program lines.
    pub lines: usize,
    /// Registers of the machine.
    pub registers: usize,
}

impl Shape {
    /// Logits per line.
    pub fn width(&self) -> usize {
        NUM_OPS + 3 * self.registers + self.lines + 1
    }
    /// Logits per run.
    pub fn params(&self) -> usize {
        self.lines * self.width()
    }
    /// Offset of head `h` (0 op, 1 a, 2 b, 3 c, 4 target) inside a line, and its length.
    pub fn head(&self, h: usize) -> (usize, usize) {
        let r = self.registers;
        match h {
            0 => (0, NUM_OPS),
            1 => (NUM_OPS, r),
            2 => (NUM_OPS + r, r),
            3 => (NUM_OPS + 2 * r, r),
            _ => (NUM_OPS + 3 * r, self.lines + 1),
        }
    }
}

/// One training or test example: an input memory and what is expected of the final state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    /// Initial memory (`cells` values).
    pub input: Vec<usize>,
    /// Expected final memory; `None` is "don't care" (the mask μ_M).
    pub memory: Vec<Option<usize>>,
    /// Expected final registers; `None` is "don't care" (the mask μ_R).
    pub registers: Vec<Option<usize>>,
}

/// Loss weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossConfig {
    /// λ of the efficiency term `Σₜ (1 − hₜ)`.
    pub efficiency: f32,
}

impl Default for LossConfig {
    fn default() -> LossConfig {
        LossConfig { efficiency: 1e-3 }
    }
}

/// The differentiable machine for one (machine, shape, examples) problem.
#[derive(Clone, Debug)]
pub struct DiffMachine {
    machine: Machine,
    shape: Shape,
    loss: LossConfig,
    examples: Vec<Example>,
    /// `table[k][x*b + y]` for the register ops (`None` for the others).
    table: Vec<Option<Vec<u16>>>,
}

const STOP: usize = Op::Stop as usize;
const JUMP: usize = Op::Jump as usize;
const WRITE: usize = Op::Write as usize;
const READ: usize = Op::Read as usize;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zero,
    Unary,
    Binary,
}

fn kind(op: Op) -> Option<Kind> {
    match op {
        Op::Zero => Some(Kind::Zero),
        Op::Inc | Op::Dec => Some(Kind::Unary),
        Op::Add | Op::Sub | Op::Min | Op::Max | Op::Eq => Some(Kind::Binary),
        _ => None,
    }
}

/// Softmax of every head of every line, in place of the logits layout.
pub fn head_probs(shape: &Shape, logits: &[f32], out: &mut [f32]) {
    let w = shape.width();
    for line in 0..shape.lines {
        for h in 0..5 {
            let (o, n) = shape.head(h);
            let s = line * w + o;
            let x = &logits[s..s + n];
            let mx = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut z = 0.0;
            for (d, &v) in out[s..s + n].iter_mut().zip(x) {
                *d = (v - mx).exp();
                z += *d;
            }
            for d in &mut out[s..s + n] {
                *d /= z;
            }
        }
    }
}

/// Per-step intermediate values kept for the backward pass.
struct Tape {
    l: Vec<f32>,
    r: Vec<f32>,
    m: Vec<f32>,
    f: Vec<f32>,
    a1: Vec<f32>,
    a2: Vec<f32>,
    a3: Vec<f32>,
    v1: Vec<f32>,
    v2: Vec<f32>,
    o: Vec<f32>,
}

impl DiffMachine {
    /// A differentiable machine; the machine, shape and examples must agree.
    pub fn new(
        machine: Machine,
        shape: Shape,
        loss: LossConfig,
        examples: Vec<Example>,
    ) -> Result<Self, Error> {
        machine.validate()?;
        if shape.registers != machine.registers || shape.lines == 0 {
            return Err(Error::Shape(format!(
                "weights for {} lines and {} registers do not fit a machine with {} registers",
                shape.lines, shape.registers, machine.registers
            )));
        }
        for (k, ex) in examples.iter().enumerate() {
            machine.check_memory(&ex.input)?;
            let bad = ex.memory.len() > machine.cells
                || ex.registers.len() > machine.registers
                || ex
                    .memory
                    .iter()
                    .chain(&ex.registers)
                    .any(|v| v.is_some_and(|v| v >= machine.base));
            if bad {
                return Err(Error::Machine(format!(
                    "example {k}: the expected output does not fit the machine"
                )));
            }
        }
        let b = machine.base;
        let table = Op::ALL
            .iter()
            .map(|&op| {
                kind(op).map(|_| {
                    let mut t = vec![0u16; b * b];
                    for x in 0..b {
                        for y in 0..b {
                            t[x * b + y] = op.apply(x, y, b).unwrap_or(0) as u16;
                        }
                    }
                    t
                })
            })
            .collect();
        Ok(DiffMachine {
            machine,
            shape,
            loss,
            examples,
            table,
        })
    }

    /// The shape of one run's weights.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The examples.
    pub fn examples(&self) -> &[Example] {
        &self.examples
    }

    fn new_tape(&self) -> Tape {
        let (ll, rr, b, m, t) = (
            self.shape.lines + 1,
            self.machine.registers,
            self.machine.base,
            self.machine.cells,
            self.machine.steps,
        );
        Tape {
            l: vec![0.0; (t + 1) * ll],
            r: vec![0.0; (t + 1) * rr * b],
            m: vec![0.0; (t + 1) * m * b],
            f: vec![0.0; t * NUM_OPS],
            a1: vec![0.0; t * rr],
            a2: vec![0.0; t * rr],
            a3: vec![0.0; t * rr],
            v1: vec![0.0; t * b],
            v2: vec![0.0; t * b],
            o: vec![0.0; t * b],
        }
    }

    /// Runs one example forward with head probabilities `p`, filling the tape.
    fn forward(&self, p: &[f32], ex: &Example, tp: &mut Tape) {
        let (nl, rr, b, cells) = (
            self.shape.lines,
            self.machine.registers,
            self.machine.base,
            self.machine.cells,
        );
        let ll = nl + 1;
        let w = self.shape.width();
        let (oa, _) = self.shape.head(1);
        let (ob, _) = self.shape.head(2);
        let (oc, _) = self.shape.head(3);
        let (ot, _) = self.shape.head(4);
        tp.l[..ll].fill(0.0);
        tp.l[0] = 1.0;
        tp.r[..rr * b].fill(0.0);
        for r in 0..rr {
            tp.r[r * b] = 1.0;
        }
        tp.m[..cells * b].fill(0.0);
        for (x, &v) in ex.input.iter().enumerate() {
            tp.m[x * b + v] = 1.0;
        }
        for t in 0..self.machine.steps {
            let (lcur, lnext) = tp.l[t * ll..(t + 2) * ll].split_at_mut(ll);
            let (rcur, rnext) = tp.r[t * rr * b..(t + 2) * rr * b].split_at_mut(rr * b);
            let (mcur, mnext) = tp.m[t * cells * b..(t + 2) * cells * b].split_at_mut(cells * b);
            let f = &mut tp.f[t * NUM_OPS..(t + 1) * NUM_OPS];
            let a1 = &mut tp.a1[t * rr..(t + 1) * rr];
            let a2 = &mut tp.a2[t * rr..(t + 1) * rr];
            let a3 = &mut tp.a3[t * rr..(t + 1) * rr];
            let v1 = &mut tp.v1[t * b..(t + 1) * b];
            let v2 = &mut tp.v2[t * b..(t + 1) * b];
            let o = &mut tp.o[t * b..(t + 1) * b];
            // Controller (eq. 1-2), mixed over lines.
            f.fill(0.0);
            a1.fill(0.0);
            a2.fill(0.0);
            a3.fill(0.0);
            for (i, &pi) in lcur[..nl].iter().enumerate() {
                if pi == 0.0 {
                    continue;
                }
                let line = &p[i * w..(i + 1) * w];
                axpy(f, pi, &line[..NUM_OPS]);
                axpy(a1, pi, &line[oa..oa + rr]);
                axpy(a2, pi, &line[ob..ob + rr]);
                axpy(a3, pi, &line[oc..oc + rr]);
            }
            let ph = lcur[nl];
            f[STOP] += ph;
            a1[0] += ph;
            a2[0] += ph;
            a3[0] += ph;
            // Register lookup (eq. 5).
            v1.fill(0.0);
            v2.fill(0.0);
            for r in 0..rr {
                axpy(v1, a1[r], &rcur[r * b..(r + 1) * b]);
                axpy(v2, a2[r], &rcur[r * b..(r + 1) * b]);
            }
            // The einsum over the operation table (eq. 6).
            o.fill(0.0);
            let mut g = 0.0;
            for (k, op) in Op::ALL.iter().enumerate() {
                let Some(kd) = kind(*op) else { continue };
                let fk = f[k];
                g += fk;
                let tab = self.table[k].as_deref().unwrap_or(&[]);
                match kd {
                    Kind::Zero => o[0] += fk,
                    Kind::Unary => {
                        for x in 0..b {
                            o[tab[x * b] as usize] += fk * v1[x];
                        }
                    }
                    Kind::Binary => {
                        for x in 0..b {
                            let c = fk * v1[x];
                            let row = &tab[x * b..(x + 1) * b];
                            for y in 0..b {
                                o[row[y] as usize] += c * v2[y];
                            }
                        }
                    }
                }
            }
            let fr = f[READ];
            g += fr;
            for x in 0..b {
                let c = fr * v1[x];
                if x < cells {
                    axpy(o, c, &mcur[x * b..(x + 1) * b]);
                } else {
                    o[0] += c;
                }
            }
            // Soft register write (eq. 7).
            for r in 0..rr {
                let keep = 1.0 - g * a3[r];
                for x in 0..b {
                    rnext[r * b + x] = rcur[r * b + x] * keep + a3[r] * o[x];
                }
            }
            // Soft memory write (eq. 8).
            let wr = f[WRITE];
            for x in 0..cells {
                let c = wr * v1[x];
                for n in 0..b {
                    mnext[x * b + n] = mcur[x * b + n] * (1.0 - c) + c * v2[n];
                }
            }
            // Probabilistic jump and halting (eq. 9), per line: line i's own stop and jump
            // probabilities and target move its mass; only `z` is shared (mixed) state.
            let z = v1[0];
            lnext.fill(0.0);
            lnext[nl] = lcur[nl];
            for (i, &pi) in lcur[..nl].iter().enumerate() {
                if pi == 0.0 {
                    continue;
                }
                let line = &p[i * w..(i + 1) * w];
                let (si, ji) = (line[STOP], line[JUMP]);
                lnext[nl] += pi * si;
                axpy(lnext, pi * ji * z, &line[ot..ot + ll]);
                lnext[(i + 1) % nl] += pi * (1.0 - si - ji * z);
            }
        }
    }

    /// Loss of one example from a filled tape, and the gradient of the final state.
    fn final_loss(&self, ex: &Example, tp: &Tape, gr: &mut [f32], gm: &mut [f32]) -> f32 {
        let (rr, b, cells, t) = (
            self.machine.registers,
            self.machine.base,
            self.machine.cells,
            self.machine.steps,
        );
        let ll = self.shape.lines + 1;
        let rf = &tp.r[t * rr * b..(t + 1) * rr * b];
        let mf = &tp.m[t * cells * b..(t + 1) * cells * b];
        gr.fill(0.0);
        gm.fill(0.0);
        let mut loss = 0.0;
        for (x, want) in ex.memory.iter().enumerate() {
            if let Some(v) = *want {
                let pr = mf[x * b + v] + EPS;
                loss -= pr.ln();
                gm[x * b + v] = -1.0 / pr;
            }
        }
        for (r, want) in ex.registers.iter().enumerate() {
            if let Some(v) = *want {
                let pr = rf[r * b + v] + EPS;
                loss -= pr.ln();
                gr[r * b + v] = -1.0 / pr;
            }
        }
        for s in 1..=t {
            loss += self.loss.efficiency * (1.0 - tp.l[s * ll + ll - 1]);
        }
        loss
    }

    /// Loss per run and its gradient with respect to the logits. `logits` holds `runs` blocks of
    /// [`Shape::params`] values; `grad` the same; `losses` one value per run.
    pub fn loss_and_grad(&self, logits: &[f32], grad: &mut [f32], losses: &mut [f32]) {
        let active = vec![true; losses.len()];
        self.loss_and_grad_masked(logits, grad, losses, &active);
    }

    /// [`DiffMachine::loss_and_grad`] for the runs where `active` is true only (the others'
    /// gradients and losses are left as they are).
    pub fn loss_and_grad_masked(
        &self,
        logits: &[f32],
        grad: &mut [f32],
        losses: &mut [f32],
        active: &[bool],
    ) {
        let np = self.shape.params();
        let runs = losses.len();
        debug_assert_eq!(logits.len(), runs * np);
        debug_assert_eq!(grad.len(), runs * np);
        let mut tp = self.new_tape();
        let mut probs = vec![0.0f32; np];
        let mut gp = vec![0.0f32; np];
        let ne = self.examples.len().max(1) as f32;
        let (rr, b, cells) = (
            self.machine.registers,
            self.machine.base,
            self.machine.cells,
        );
        let ll = self.shape.lines + 1;
        let mut bw = Backward {
            gl: vec![0.0; ll],
            gl_prev: vec![0.0; ll],
            gr: vec![0.0; rr * b],
            gr_prev: vec![0.0; rr * b],
            gm: vec![0.0; cells * b],
            gm_prev: vec![0.0; cells * b],
            gf: vec![0.0; NUM_OPS],
            ga1: vec![0.0; rr],
            ga2: vec![0.0; rr],
            ga3: vec![0.0; rr],
            gv1: vec![0.0; b],
            gv2: vec![0.0; b],
            go: vec![0.0; b],
        };
        for run in 0..runs {
            if !active.get(run).copied().unwrap_or(false) {
                continue;
            }
            let lg = &logits[run * np..(run + 1) * np];
            head_probs(&self.shape, lg, &mut probs);
            gp.fill(0.0);
            let mut total = 0.0;
            for ex in &self.examples {
                self.forward(&probs, ex, &mut tp);
                total += self.final_loss(ex, &tp, &mut bw.gr, &mut bw.gm);
                bw.gl.fill(0.0);
                for t in (0..self.machine.steps).rev() {
                    bw.gl[ll - 1] -= self.loss.efficiency;
                    self.backward_step(t, &probs, &tp, &mut bw, &mut gp);
                    std::mem::swap(&mut bw.gl, &mut bw.gl_prev);
                    std::mem::swap(&mut bw.gr, &mut bw.gr_prev);
                    std::mem::swap(&mut bw.gm, &mut bw.gm_prev);
                }
            }
            losses[run] = total / ne;
            // Softmax backward, per head.
            let g = &mut grad[run * np..(run + 1) * np];
            let w = self.shape.width();
            for line in 0..self.shape.lines {
                for h in 0..5 {
                    let (o, n) = self.shape.head(h);
                    let s = line * w + o;
                    let pr = &probs[s..s + n];
                    let gq = &gp[s..s + n];
                    let dot: f32 = pr.iter().zip(gq).map(|(a, b)| a * b).sum();
                    for j in 0..n {
                        g[s + j] = pr[j] * (gq[j] - dot) / ne;
                    }
                }
            }
        }
    }

    /// Loss per run without gradients.
    pub fn loss(&self, logits: &[f32], runs: usize) -> Vec<f32> {
        let np = self.shape.params();
        let mut tp = self.new_tape();
        let mut probs = vec![0.0f32; np];
        let b = self.machine.base;
        let mut gr = vec![0.0; self.machine.registers * b];
        let mut gm = vec![0.0; self.machine.cells * b];
        let ne = self.examples.len().max(1) as f32;
        (0..runs)
            .map(|run| {
                head_probs(&self.shape, &logits[run * np..(run + 1) * np], &mut probs);
                let mut total = 0.0;
                for ex in &self.examples {
                    self.forward(&probs, ex, &mut tp);
                    total += self.final_loss(ex, &tp, &mut gr, &mut gm);
                }
                total / ne
            })
            .collect()
    }

    /// The final state of one run's logits on one input: (registers `R×b`, memory `cells×b`,
    /// halting probability).
    pub fn final_state(
        &self,
        logits: &[f32],
        input: &[usize],
    ) -> Result<(Vec<f32>, Vec<f32>, f32), Error> {
        self.machine.check_memory(input)?;
        let np = self.shape.params();
        if logits.len() < np {
            return Err(Error::Shape(format!(
                "expected {np} logits, found {}",
                logits.len()
            )));
        }
        let mut probs = vec![0.0f32; np];
        head_probs(&self.shape, &logits[..np], &mut probs);
        let mut tp = self.new_tape();
        let ex = Example {
            input: input.to_vec(),
            memory: vec![],
            registers: vec![],
        };
        self.forward(&probs, &ex, &mut tp);
        let (rr, b, cells, t) = (
            self.machine.registers,
            self.machine.base,
            self.machine.cells,
            self.machine.steps,
        );
        let ll = self.shape.lines + 1;
        Ok((
            tp.r[t * rr * b..(t + 1) * rr * b].to_vec(),
            tp.m[t * cells * b..(t + 1) * cells * b].to_vec(),
            tp.l[t * ll + ll - 1],
        ))
    }

    /// Backpropagates through step `t`: from the gradients of state `t + 1` (`bw.gl`, `bw.gr`,
    /// `bw.gm`) to those of state `t` (`bw.*_prev`), accumulating head-probability gradients.
    fn backward_step(&self, t: usize, p: &[f32], tp: &Tape, bw: &mut Backward, gp: &mut [f32]) {
        let (nl, rr, b, cells) = (
            self.shape.lines,
            self.machine.registers,
            self.machine.base,
            self.machine.cells,
        );
        let ll = nl + 1;
        let w = self.shape.width();
        let lcur = &tp.l[t * ll..(t + 1) * ll];
        let rcur = &tp.r[t * rr * b..(t + 1) * rr * b];
        let mcur = &tp.m[t * cells * b..(t + 1) * cells * b];
        let f = &tp.f[t * NUM_OPS..(t + 1) * NUM_OPS];
        let a1 = &tp.a1[t * rr..(t + 1) * rr];
        let a2 = &tp.a2[t * rr..(t + 1) * rr];
        let a3 = &tp.a3[t * rr..(t + 1) * rr];
        let v1 = &tp.v1[t * b..(t + 1) * b];
        let v2 = &tp.v2[t * b..(t + 1) * b];
        let o = &tp.o[t * b..(t + 1) * b];
        let Backward {
            gl,
            gl_prev,
            gr,
            gr_prev,
            gm,
            gm_prev,
            gf,
            ga1,
            ga2,
            ga3,
            gv1,
            gv2,
            go,
        } = bw;
        gl_prev.fill(0.0);
        gr_prev.fill(0.0);
        gm_prev.fill(0.0);
        gf.fill(0.0);
        ga1.fill(0.0);
        ga2.fill(0.0);
        ga3.fill(0.0);
        gv1.fill(0.0);
        gv2.fill(0.0);
        go.fill(0.0);
        // Jump and halting.
        let z = v1[0];
        let (ot, _) = self.shape.head(4);
        gl_prev[nl] += gl[nl];
        let mut gz = 0.0;
        for i in 0..nl {
            let pi = lcur[i];
            let line = &p[i * w..(i + 1) * w];
            let (si, ji) = (line[STOP], line[JUMP]);
            let tgt = &line[ot..ot + ll];
            let jt: f32 = tgt.iter().zip(gl.iter()).map(|(a, b)| a * b).sum();
            let gnext = gl[(i + 1) % nl];
            gl_prev[i] += si * gl[nl] + ji * z * jt + (1.0 - si - ji * z) * gnext;
            let gline = &mut gp[i * w..(i + 1) * w];
            gline[STOP] += pi * (gl[nl] - gnext);
            gline[JUMP] += pi * z * (jt - gnext);
            axpy(&mut gline[ot..ot + ll], pi * ji * z, gl);
            gz += pi * ji * (jt - gnext);
        }
        gv1[0] += gz;
        // Memory write.
        let wr = f[WRITE];
        let mut gw = 0.0;
        for x in 0..cells {
            let vx = v1[x];
            let c = wr * vx;
            let mut acc = 0.0;
            for n in 0..b {
                let g = gm[x * b + n];
                gm_prev[x * b + n] += g * (1.0 - c);
                acc += g * (v2[n] - mcur[x * b + n]);
                gv2[n] += c * g;
            }
            gw += vx * acc;
            gv1[x] += wr * acc;
        }
        gf[WRITE] += gw;
        // Register write.
        let mut g = 0.0;
        for (k, op) in Op::ALL.iter().enumerate() {
            if op.writes_register() {
                g += f[k];
            }
        }
        let mut gg = 0.0;
        for r in 0..rr {
            let keep = 1.0 - g * a3[r];
            let mut acc = 0.0;
            for x in 0..b {
                let gx = gr[r * b + x];
                gr_prev[r * b + x] += gx * keep;
                acc += gx * (o[x] - g * rcur[r * b + x]);
                gg -= gx * rcur[r * b + x] * a3[r];
                go[x] += a3[r] * gx;
            }
            ga3[r] += acc;
        }
        for (k, op) in Op::ALL.iter().enumerate() {
            if op.writes_register() {
                gf[k] += gg;
            }
        }
        // The operation table.
        for (k, op) in Op::ALL.iter().enumerate() {
            let Some(kd) = kind(*op) else { continue };
            let fk = f[k];
            let tab = self.table[k].as_deref().unwrap_or(&[]);
            match kd {
                Kind::Zero => gf[k] += go[0],
                Kind::Unary => {
                    for x in 0..b {
                        let gn = go[tab[x * b] as usize];
                        gf[k] += v1[x] * gn;
                        gv1[x] += fk * gn;
                    }
                }
                Kind::Binary => {
                    let mut gfk = 0.0;
                    for x in 0..b {
                        let row = &tab[x * b..(x + 1) * b];
                        let mut accx = 0.0;
                        for y in 0..b {
                            let gn = go[row[y] as usize];
                            accx += v2[y] * gn;
                            gv2[y] += fk * v1[x] * gn;
                        }
                        gfk += v1[x] * accx;
                        gv1[x] += fk * accx;
                    }
                    gf[k] += gfk;
                }
            }
        }
        let fr = f[READ];
        for x in 0..b {
            if x < cells {
                let row = &mcur[x * b..(x + 1) * b];
                let sx: f32 = row.iter().zip(go.iter()).map(|(m, g)| m * g).sum();
                gf[READ] += v1[x] * sx;
                gv1[x] += fr * sx;
                axpy(&mut gm_prev[x * b..(x + 1) * b], fr * v1[x], go);
            } else {
                gf[READ] += v1[x] * go[0];
                gv1[x] += fr * go[0];
            }
        }
        // Register lookup.
        for r in 0..rr {
            let row = &rcur[r * b..(r + 1) * b];
            ga1[r] += row.iter().zip(gv1.iter()).map(|(a, b)| a * b).sum::<f32>();
            ga2[r] += row.iter().zip(gv2.iter()).map(|(a, b)| a * b).sum::<f32>();
            let grow = &mut gr_prev[r * b..(r + 1) * b];
            for x in 0..b {
                grow[x] += a1[r] * gv1[x] + a2[r] * gv2[x];
            }
        }
        // Controller.
        let (oa, _) = self.shape.head(1);
        let (ob, _) = self.shape.head(2);
        let (oc, _) = self.shape.head(3);
        for i in 0..nl {
            let pi = lcur[i];
            let line = &p[i * w..(i + 1) * w];
            let gline = &mut gp[i * w..(i + 1) * w];
            let mut d = 0.0;
            for (seg, gseg) in [(0, &gf[..]), (oa, &ga1[..]), (ob, &ga2[..]), (oc, &ga3[..])] {
                for (k, &gk) in gseg.iter().enumerate() {
                    d += line[seg + k] * gk;
                    gline[seg + k] += pi * gk;
                }
            }
            gl_prev[i] += d;
        }
        gl_prev[nl] += ga1[0] + ga2[0] + ga3[0];
    }
}

struct Backward {
    gl: Vec<f32>,
    gl_prev: Vec<f32>,
    gr: Vec<f32>,
    gr_prev: Vec<f32>,
    gm: Vec<f32>,
    gm_prev: Vec<f32>,
    gf: Vec<f32>,
    ga1: Vec<f32>,
    ga2: Vec<f32>,
    ga3: Vec<f32>,
    gv1: Vec<f32>,
    gv2: Vec<f32>,
    go: Vec<f32>,
}

fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}
