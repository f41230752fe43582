"""Gradient-to-density time ratio as the number of parameters grows.

Reverse mode costs a small constant times one density evaluation whatever
the number of parameters, so the ratio should stay roughly flat from 10 to
1,000 parameters.  Model: hierarchical normal (non-centred), K groups, d = K + 2,
written once with a loop over groups and once vectorised.

Run:  python benchmarks/gradient_ratio.py [--batch 64] [--repeats 5]
"""
import argparse
import time

import numpy as np

import ppl

LOOPED = """
data { int K; vector[K] y; vector<lower=0>[K] s; }
parameters { real mu; real<lower=0> tau; vector[K] eta; }
model {
  mu ~ normal(0, 5); tau ~ cauchy(0, 5);
  for (k in 1:K) {
    eta[k] ~ std_normal();
    y[k] ~ normal(mu + tau * eta[k], s[k]);
  }
}
"""
VECTORISED = """
data { int K; vector[K] y; vector<lower=0>[K] s; }
parameters { real mu; real<lower=0> tau; vector[K] eta; }
model {
  mu ~ normal(0, 5); tau ~ cauchy(0, 5); eta ~ std_normal();
  y ~ normal(mu + tau * eta, s);
}
"""


def best_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(f"backend: numpy reference, batch of {args.batch} draws per call, best of {args.repeats}")
    print(f"{'model':11s} {'params':>7s} {'density ms':>11s} {'gradient ms':>12s} {'ratio':>6s}")
    for label, src in (("looped", LOOPED), ("vectorised", VECTORISED)):
        model = ppl.compile(src)
        for K in (8, 98, 998):
            data = {"K": K, "y": rng.normal(size=K).tolist(), "s": rng.uniform(0.5, 2, size=K).tolist()}
            bm = model.bind(data)
            theta = rng.normal(size=(args.batch, bm.param_unc_num()))
            bm.log_density_gradient(theta)          # warm caches (gradient program)
            td = best_time(lambda: bm.log_density(theta), args.repeats)
            tg = best_time(lambda: bm.log_density_gradient(theta), args.repeats)
            print(f"{label:11s} {bm.param_unc_num():7d} {1e3 * td:11.2f} {1e3 * tg:12.2f} {tg / td:6.2f}")


if __name__ == "__main__":
    main()
