#!/usr/bin/env python3
"""The relaxed parity chain in PyTorch, written the way a researcher would: the peer of
`weft bench parity-chain --peer`.

K bits on a circle, bit 0 fixed to false, every bit must equal its successor. Each free bit is a
Bernoulli variable; an observation `a == b` holds with probability a1*b1 + a0*b0 and costs
the binary cross entropy against "true" (the seed's loss; PyTorch clamps its log at -100 and
its gradient's denominator at 1e-12, so a violated observation still has a gradient). R restarts are one batch (the first
tensor dimension), as weft batches them.

  fmgd: p = sigmoid(logit) (the 2-way softmax), Adam(lr) on the logits.
  bop:  one-hot (hard) bits, the gradient with respect to the one-hot values, a running
        average m = (1-gamma) m + gamma g of it, and every bit whose Taylor estimate of a flip,
        m[other] - m[current], is below -tau is flipped (Helwegen et al. 2019 on one-hot bits).

Prints one JSON object: the method, K, restarts, steps, seconds and restart-steps per second,
and how many restarts reached the all-false solution. The timed run follows an untimed warm-up
of 10 steps (PyTorch initialises its optimiser and autograd lazily on first use).
"""

import argparse
import json
import time

import torch
import torch.nn.functional as F


def observations(bits1):
    """bits1: (R, K) probability of each bit being true (bit 0 included). Returns -log p of
    every observation chain[i] == chain[(i+1) % K], shape (R, K)."""
    nxt = torch.roll(bits1, shifts=-1, dims=1)
    p_eq = bits1 * nxt + (1 - bits1) * (1 - nxt)
    return F.binary_cross_entropy(p_eq, torch.ones_like(p_eq), reduction="none")


def with_fixed_bit(free1):
    zero = torch.zeros(free1.shape[0], 1, dtype=free1.dtype)
    return torch.cat([zero, free1], dim=1)


def run_fmgd(k, r, steps, lr, seed):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(r, k - 1, generator=g).requires_grad_(True)
    opt = torch.optim.Adam([logits], lr=lr)
    solved = torch.zeros(r, dtype=torch.bool)
    for _ in range(steps):
        opt.zero_grad()
        p1 = torch.sigmoid(logits)
        loss = observations(with_fixed_bit(p1)).sum(dim=1)
        loss.sum().backward()
        opt.step()
        with torch.no_grad():
            solved |= (logits <= 0).all(dim=1)
    return int(solved.sum())


def run_bop(k, r, steps, gamma, tau, seed):
    g = torch.Generator().manual_seed(seed)
    bits = torch.randint(0, 2, (r, k - 1), generator=g).float()
    m = torch.zeros(r, k - 1, 2)
    solved = torch.zeros(r, dtype=torch.bool)
    for _ in range(steps):
        onehot = torch.stack([1 - bits, bits], dim=2).requires_grad_(True)
        p1 = onehot[:, :, 1]
        loss = observations(with_fixed_bit(p1)).sum(dim=1)
        loss.sum().backward()
        with torch.no_grad():
            # The gradient with respect to the one-hot values, averaged.
            m.mul_(1 - gamma).add_(gamma * onehot.grad)
            cur = bits.long().unsqueeze(2)
            m_cur = torch.gather(m, 2, cur).squeeze(2)
            m_other = torch.gather(m, 2, 1 - cur).squeeze(2)
            flip = (m_other - m_cur) < -tau
            bits = torch.where(flip, 1 - bits, bits)
            solved |= (bits == 0).all(dim=1)
    return int(solved.sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", choices=["fmgd", "bop"], default="fmgd")
    ap.add_argument("--k", type=int, default=256)
    ap.add_argument("--restarts", type=int, default=100)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--gamma", type=float, default=0.3)
    ap.add_argument("--tau", type=float, default=3e11)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    def run(steps):
        if a.method == "fmgd":
            return run_fmgd(a.k, a.restarts, steps, a.lr, a.seed)
        return run_bop(a.k, a.restarts, steps, a.gamma, a.tau, a.seed)

    # Warm-up, untimed: PyTorch's first optimiser step and first backward pass load and
    # initialise lazily (about 2.5 s on the development machine), which is not a cost per step.
    run(10)
    t0 = time.perf_counter()
    solved = run(a.steps)
    dt = time.perf_counter() - t0
    print(json.dumps({
        "method": a.method, "k": a.k, "restarts": a.restarts, "steps": a.steps,
        "seconds": dt, "steps_per_second": a.restarts * a.steps / dt,
        "solved": solved, "torch": torch.__version__, "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
