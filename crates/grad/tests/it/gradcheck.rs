//! Analytic gradients of the relaxed semantics against central finite differences (f64 would
//! be nicer; f32 with a relative tolerance is what the kernel computes in).

use proptest::prelude::*;
use weft_grad::Kernel;

use crate::{nand, parity, swap};

fn check(g: &weft_ir::Graph, ex: &weft_ir::Examples, raw: &[f32], weights: &[f32]) {
    let r = 2;
    let mut k = Kernel::new(g, ex, r, 1e-12, 0.5).unwrap();
    let d = k.dims();
    let e = k.examples();
    for (i, w) in k.weights_mut().iter_mut().enumerate() {
        *w = weights[i % weights.len()];
    }
    // Distributions bounded away from 0 (so that ln is smooth), from arbitrary raw numbers.
    let mut probs = vec![0f32; r * d];
    for (i, p) in probs.iter_mut().enumerate() {
        *p = 0.2 + 0.6 * raw[i % raw.len()];
    }
    k.set_holes(&probs);
    let base = k.forward().to_vec();
    let mut grad = vec![0f32; r * d];
    k.backward(&mut grad);
    let _ = e;
    // Central differences of an f32 loss: the step is large enough that the loss's own
    // rounding (a few ulps of its magnitude, divided by 2h) stays small against the
    // tolerance, and small enough that the truncation error (h^2/6 times the third
    // derivative of -ln(a + b p) for p >= 0.2) does too.
    let h = 5e-3f32;
    for i in 0..r * d {
        let ri = i / d;
        let mut p = probs.clone();
        p[i] += h;
        k.set_holes(&p);
        let up = k.forward()[ri];
        p[i] -= 2.0 * h;
        k.set_holes(&p);
        let down = k.forward()[ri];
        let fd = (up - down) / (2.0 * h);
        let rounding = 8.0 * f32::EPSILON * up.abs().max(down.abs()) / (2.0 * h);
        let tol = 2e-2 * (1.0 + fd.abs().max(grad[i].abs())) + rounding;
        assert!(
            (fd - grad[i]).abs() < tol,
            "param {i}: analytic {} vs finite difference {fd} (loss {})",
            grad[i],
            base[ri]
        );
        // The other restart does not move.
        let other = 1 - ri;
        k.set_holes(&probs);
        let l = k.forward()[other];
        assert!((l - base[other]).abs() < 1e-5);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn parity_gradients_match_finite_differences(
        raw in proptest::collection::vec(0.0f32..1.0, 1..40),
        k in 3i64..9,
    ) {
        let (g, ex) = parity(k);
        check(&g, &ex, &raw, &[1.0]);
    }

    #[test]
    fn circuit_gradients_match_finite_differences(
        raw in proptest::collection::vec(0.0f32..1.0, 1..60),
        w in proptest::collection::vec(0.5f32..3.0, 1..8),
        which in 0usize..2,
    ) {
        let (g, ex) = if which == 0 { nand() } else { swap() };
        check(&g, &ex, &raw, &w);
    }
}
