//! Methods and their hyperparameters.

use std::fmt;
use std::time::Duration;

use crate::GradError;

/// A gradient method: the rows of seed 001's Tables 1 and 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Continuous relaxation (TerpreT's FMGD): softmax of logits, Adam.
    Fmgd,
    /// FMGD plus an entropy penalty pushing every hole towards a discrete value.
    FmgdReg,
    /// Softmax with a temperature annealed from `temp_start` to `temp_end`.
    Temp,
    /// Annealed softmax plus the entropy penalty.
    TempReg,
    /// Gumbel-softmax: `softmax((logits + Gumbel noise) / tau)`, fresh noise every step.
    Gumbel,
    /// Neural reparameterisation: logits = `W2 · tanh(W1 · z + b1) + b2` (z fixed per restart).
    Neural,
    /// Straight-through estimator: one-hot forward of argmax(latent), the gradient at the
    /// one-hot point applied to the latent logits (Adam).
    Ste,
    /// Bop (Helwegen et al. 2019): running average (γ) of the gradient; every hole whose best
    /// Taylor-estimated move beats `-tau` moves, all at once.
    Bop,
    /// GradSearch (Algorithm 1): the single best Hamming-1 move by Taylor estimate.
    GradSearch,
    /// GradSearch on a running average (β) of the gradient (§3.1).
    GradSearchRa,
    /// GradSearch+ (§3.2): running average, ε-greedy moves, 0.99/0.01 smoothing, random
    /// exponential re-weighting of examples when progress stalls.
    GradSearchPlus,
}

impl Method {
    /// Every method, Table 1's ten first, then GradSearch+.
    pub const ALL: [Method; 11] = [
        Method::Fmgd,
        Method::FmgdReg,
        Method::Temp,
        Method::TempReg,
        Method::Gumbel,
        Method::Neural,
        Method::Ste,
        Method::Bop,
        Method::GradSearch,
        Method::GradSearchRa,
        Method::GradSearchPlus,
    ];

    /// The name used by `--solver` and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Method::Fmgd => "fmgd",
            Method::FmgdReg => "fmgd-reg",
            Method::Temp => "temp",
            Method::TempReg => "temp-reg",
            Method::Gumbel => "gumbel",
            Method::Neural => "neural",
            Method::Ste => "ste",
            Method::Bop => "bop",
            Method::GradSearch => "gradsearch",
            Method::GradSearchRa => "gradsearch-ra",
            Method::GradSearchPlus => "gradsearch-plus",
        }
    }

    /// The row label of seed 001's tables.
    pub fn title(self) -> &'static str {
        match self {
            Method::Fmgd => "continuous relaxation (FMGD)",
            Method::FmgdReg => "continuous relaxation, regularised",
            Method::Temp => "temperature softmax",
            Method::TempReg => "temperature softmax, regularised",
            Method::Gumbel => "Gumbel-softmax",
            Method::Neural => "neural reparameterisation",
            Method::Ste => "STE",
            Method::Bop => "Bop",
            Method::GradSearch => "GradSearch",
            Method::GradSearchRa => "GradSearch (running average)",
            Method::GradSearchPlus => "GradSearch+",
        }
    }

    /// Parses a [`Method::name`].
    pub fn from_name(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == s)
    }

    /// Whether this method reads the hyperparameter of flag `--name` (every method reads
    /// `restarts`, `steps`, `seed`, `log-eps`, `cost-weight` and `threads`).
    pub fn uses(self, name: &str) -> bool {
        use Method::*;
        let adam = matches!(
            self,
            Fmgd | FmgdReg | Temp | TempReg | Gumbel | Neural | Ste
        );
        match name {
            "lr" | "init-scale" => adam,
            "reg" => matches!(self, FmgdReg | TempReg),
            "temp-start" | "temp-end" => matches!(self, Temp | TempReg),
            "gumbel-tau" => self == Gumbel,
            "hidden" => self == Neural,
            "gamma" | "tau" => self == Bop,
            "beta" => matches!(self, GradSearchRa | GradSearchPlus),
            "greedy-eps" | "smooth" | "stall" | "reweight" => self == GradSearchPlus,
            _ => true,
        }
    }

    /// The forward pass runs on (smoothed) one-hot hole values, not on a relaxation.
    pub fn is_discrete(self) -> bool {
        matches!(
            self,
            Method::Ste
                | Method::Bop
                | Method::GradSearch
                | Method::GradSearchRa
                | Method::GradSearchPlus
        )
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything a gradient run needs besides the problem. Every run is reproducible from
/// (problem, `Config`).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub method: Method,
    /// Independent restarts, run as one batch.
    pub restarts: usize,
    /// Optimisation steps per restart.
    pub steps: usize,
    pub seed: u64,
    /// Adam learning rate (relaxations, neural, STE). TerpreT's FMGD default: 0.1.
    pub lr: f32,
    /// Standard deviation of the initial logits (TerpreT: 1.0).
    pub init_scale: f32,
    /// Weight of the entropy penalty of the regularised methods.
    pub reg: f32,
    /// Temperature at the first and at the last step (annealed geometrically).
    pub temp_start: f32,
    pub temp_end: f32,
    /// Gumbel-softmax temperature.
    pub gumbel_tau: f32,
    /// Hidden width of the neural reparameterisation.
    pub hidden: usize,
    /// Bop's adaptivity rate γ (running-average rate of the gradient), in (0, 1].
    pub gamma: f32,
    /// Bop's threshold τ ≥ 0: a move is taken when its estimated change is below −τ.
    pub tau: f32,
    /// Running-average rate β of GradSearch (running average) and GradSearch+, in (0, 1).
    pub beta: f32,
    /// GradSearch+: probability of a random move instead of the greedy one.
    pub greedy_eps: f32,
    /// GradSearch+: discrete values are `1 − smooth·(n−1)` and `smooth` instead of 1 and 0.
    pub smooth: f32,
    /// GradSearch+: steps without a new best loss before the examples are re-weighted.
    pub stall: usize,
    /// GradSearch+: re-weighting draws `w_e = exp(reweight · u)`, `u ~ U(0, 1)` per example.
    pub reweight: f32,
    /// Probabilities are clamped to at least this before `ln` (PyTorch's BCE uses 1e-12).
    pub log_eps: f32,
    /// Weight of the expected soft costs in the loss (0: costs ignored while searching).
    pub cost_weight: f32,
    /// Stop after this much wall time.
    pub timeout: Option<Duration>,
    /// Threads the restarts are split over (0: one per core). The results do not depend on
    /// it: every restart has its own random stream and its own columns.
    pub threads: usize,
}

impl Config {
    /// The documented defaults for `method`.
    pub fn new(method: Method) -> Config {
        Config {
            method,
            restarts: 100,
            steps: 2000,
            seed: 0,
            lr: 0.1,
            init_scale: 1.0,
            reg: 0.01,
            temp_start: 1.0,
            temp_end: 0.1,
            gumbel_tau: 1.0,
            hidden: 16,
            // Tuned on the parity chain (K = 64, 256), as the seed tuned Bop: the gradient of a
            // violated observation is about 1/log_eps = 1e12, so τ lives on that scale.
            gamma: 0.3,
            tau: 3e11,
            beta: 0.1,
            greedy_eps: 0.1,
            smooth: 0.01,
            stall: 100,
            reweight: 2.0,
            log_eps: 1e-12,
            cost_weight: 0.0,
            timeout: None,
            threads: 0,
        }
    }

    pub fn with_restarts(mut self, n: usize) -> Config {
        self.restarts = n;
        self
    }
    pub fn with_steps(mut self, n: usize) -> Config {
        self.steps = n;
        self
    }
    pub fn with_seed(mut self, s: u64) -> Config {
        self.seed = s;
        self
    }
    pub fn with_threads(mut self, n: usize) -> Config {
        self.threads = n;
        self
    }

    /// Rejects hyperparameters out of range, with a message naming the flag.
    pub fn validate(&self) -> Result<(), GradError> {
        let bad = |m: String| Err(GradError::BadHyper(m));
        let finite = [
            ("lr", self.lr),
            ("init-scale", self.init_scale),
            ("reg", self.reg),
            ("temp-start", self.temp_start),
            ("temp-end", self.temp_end),
            ("gumbel-tau", self.gumbel_tau),
            ("gamma", self.gamma),
            ("tau", self.tau),
            ("beta", self.beta),
            ("greedy-eps", self.greedy_eps),
            ("smooth", self.smooth),
            ("reweight", self.reweight),
            ("log-eps", self.log_eps),
            ("cost-weight", self.cost_weight),
        ];
        for (n, v) in finite {
            if !v.is_finite() {
                return bad(format!("--{n} must be a finite number, got {v}"));
            }
        }
        if self.restarts == 0 {
            return bad("--restarts must be at least 1".into());
        }
        if self.lr <= 0.0 {
            return bad(format!("--lr must be positive, got {}", self.lr));
        }
        if self.init_scale < 0.0 {
            return bad(format!(
                "--init-scale must not be negative, got {}",
                self.init_scale
            ));
        }
        if self.reg < 0.0 {
            return bad(format!("--reg must not be negative, got {}", self.reg));
        }
        if self.temp_start <= 0.0 || self.temp_end <= 0.0 {
            return bad("--temp-start and --temp-end must be positive".into());
        }
        if self.gumbel_tau <= 0.0 {
            return bad(format!(
                "--gumbel-tau must be positive, got {}",
                self.gumbel_tau
            ));
        }
        if self.hidden == 0 {
            return bad("--hidden must be at least 1".into());
        }
        if !(self.gamma > 0.0 && self.gamma <= 1.0) {
            return bad(format!("--gamma must be in (0, 1], got {}", self.gamma));
        }
        if self.tau < 0.0 {
            return bad(format!("--tau must not be negative, got {}", self.tau));
        }
        if !(self.beta > 0.0 && self.beta < 1.0) {
            return bad(format!(
                "--beta must be strictly between 0 and 1, got {}",
                self.beta
            ));
        }
        if !(0.0..=1.0).contains(&self.greedy_eps) {
            return bad(format!(
                "--greedy-eps must be in [0, 1], got {}",
                self.greedy_eps
            ));
        }
        if !(0.0..0.5).contains(&self.smooth) {
            return bad(format!("--smooth must be in [0, 0.5), got {}", self.smooth));
        }
        if self.reweight < 0.0 {
            return bad(format!(
                "--reweight must not be negative, got {}",
                self.reweight
            ));
        }
        if !(self.log_eps > 0.0 && self.log_eps < 1.0) {
            return bad(format!("--log-eps must be in (0, 1), got {}", self.log_eps));
        }
        if self.cost_weight < 0.0 {
            // A negative weight would reward cost: the search would prefer expensive programs.
            return bad(format!(
                "--cost-weight must not be negative, got {}",
                self.cost_weight
            ));
        }
        if self.stall == 0 {
            return bad("--stall must be at least 1".into());
        }
        Ok(())
    }
}
