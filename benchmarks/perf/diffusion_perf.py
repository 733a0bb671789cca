"""Speed of the tabular diffusion against the source's loops, and the sampler's
quality/time trade-off.

Run: ``python benchmarks/perf/diffusion_perf.py [--n 10000] [--rows 1000] [--threads 1]``.

In one process, on ``heteroscedastic`` data (n rows, one thread by default -- a suite
worker's setting), it times:

1. training: seconds per epoch of ``source`` (a transcription of the source's loop: the
   SPEC's network, one full-batch AdamW step per epoch, the time embedding computed per
   row) against ours full batch and ours in the default mini-batches (512 rows), and the
   default fit (about 4,000 updates, cosine-decayed learning rate) end to end;
2. sampling ``--rows`` rows x 1,000 steps: ``source`` (step by step in python, every step
   the full network on the concatenated input with a per-row time embedding) against ours
   (conditioning and time embedding computed once, cache-sized chains), same weights;
3. the faster sampler: the fitted default model's conditional sd and mean on a 50-point
   grid of x (``n_samples`` 200 per point) with 1,000 / 250 / 100 / 50 steps: seconds and
   RMSE against the true sd = x and mean = x. The Monte Carlo floor of the sd RMSE with
   200 draws is about 0.03.

Wall and CPU (process) seconds are both printed: on a shared machine CPU seconds are the
steadier figure. Targets: sd RMSE <= 0.05 at the default 1,000 steps and at 100 steps;
exit status 1 when missed.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import cast

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from dgpbench.generators.registry import load_generator
from dgpbench.models.torch._diffusion_net import Denoiser, alpha_bar, train_denoiser
from dgpbench.models.torch.diffusion import ConditionalDiffusionFitted, Diffusion

SD_TARGET = 0.05


class Clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def source_train(net: Denoiser, y: torch.Tensor, cond: torch.Tensor, epochs: int) -> None:
    """The source's loop: each epoch one full-batch step, AdamW 3e-4 (default settings)."""
    opt = torch.optim.AdamW(net.parameters(), lr=3e-4)
    for _ in range(epochs):
        t = torch.rand(len(y))
        noise = torch.randn_like(y)
        ab = alpha_bar(t).unsqueeze(1)
        z = torch.sqrt(ab) * y + torch.sqrt(1 - ab) * noise
        loss = F.mse_loss(net(z, cond, t), noise)
        opt.zero_grad()
        loss.backward()
        opt.step()


@torch.no_grad()
def source_sample(net: Denoiser, cond: torch.Tensor, steps: int = 1000) -> torch.Tensor:
    """The source's ancestral loop: the whole network every step, per-row time embedding."""
    ts = torch.linspace(0, 1, steps + 1)
    abar = alpha_bar(ts)
    abar[0] = 1.0
    z = torch.randn(len(cond), 1)
    for i in range(steps, 0, -1):
        t = torch.full((len(cond),), float(ts[i]))
        eps = net(z, cond, t)
        alpha = abar[i] / abar[i - 1]
        beta = 1 - alpha
        z = (z - beta / torch.sqrt(1 - abar[i]) * eps) / torch.sqrt(alpha)
        if i > 1:
            z = z + torch.sqrt(beta * (1 - abar[i - 1]) / (1 - abar[i])) * torch.randn_like(z)
    return z


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="training rows")
    ap.add_argument("--rows", type=int, default=1_000, help="rows sampled in the 1,000-step race")
    ap.add_argument("--epochs", type=int, default=20, help="epochs timed per training loop")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    obs, truth = load_generator("heteroscedastic", n=args.n, n_test=0).sample(0)
    x, yv = obs.frame["x"].to_numpy(), obs.frame["y"].to_numpy()
    cond = torch.tensor(((x - x.mean()) / x.std())[:, None], dtype=torch.float32)
    y = torch.tensor(((yv - yv.mean()) / yv.std())[:, None], dtype=torch.float32)
    hidden = Diffusion.Params().hidden
    rows: list[tuple[str, str, float, float]] = []

    # 1. training (each loop warmed up by two untimed epochs)
    source_train(Denoiser(1, 1, hidden), y, cond, 2)
    train_denoiser(Denoiser(1, 1, hidden), y, cond, epochs=2, batch_size=0, lr=3e-4, gen=torch.Generator())
    with Clock() as c:
        source_train(Denoiser(1, 1, hidden), y, cond, args.epochs)
    rows.append(("train, per epoch", "source: full batch (1 update)", c.wall / args.epochs, c.cpu / args.epochs))
    with Clock() as c:
        train_denoiser(
            Denoiser(1, 1, hidden),
            y,
            cond,
            epochs=args.epochs,
            batch_size=0,
            lr=3e-4,
            gen=torch.Generator().manual_seed(0),
        )
    rows.append(("train, per epoch", "ours: full batch (1 update)", c.wall / args.epochs, c.cpu / args.epochs))
    bs = Diffusion.Params().batch_size
    with Clock() as c:
        train_denoiser(
            Denoiser(1, 1, hidden),
            y,
            cond,
            epochs=max(1, args.epochs // 4),
            batch_size=bs,
            lr=3e-4,
            gen=torch.Generator().manual_seed(0),
        )
    per = max(1, args.epochs // 4)
    rows.append(
        ("train, per epoch", f"ours: batches of {bs} ({math.ceil(args.n / bs)} updates)", c.wall / per, c.cpu / per)
    )
    with Clock() as c:
        fitted = cast(ConditionalDiffusionFitted, Diffusion().fit(obs, seed=0))
    h = fitted.history
    rows.append(("fit, default", f"ours: {len(h['loss'])} epochs = {h['updates']} updates", c.wall, c.cpu))

    # 2. sampling race, same weights
    net = fitted.net
    rc = cond[: args.rows]
    with Clock() as c:
        zs = source_sample(net, rc)
    rows.append((f"sample {args.rows} x 1000 steps", "source: python loop, full net", c.wall, c.cpu))
    with Clock() as c:
        zo = fitted._draw(rc.numpy(), args.rows, np.random.default_rng(0))
    rows.append((f"sample {args.rows} x 1000 steps", "ours: batched chains", c.wall, c.cpu))
    print(f"same weights, sd of the standardised draws: source {float(zs.std()):.3f}, ours {float(zo.std()):.3f}")

    # 3. quality / time of fewer steps
    grid = pd.DataFrame({"x": np.linspace(0.1, 1.0, 50)})
    assert truth.sd is not None and truth.mean is not None  # heteroscedastic defines both
    ok = True
    trade = []
    for steps in (1000, 250, 100, 50):
        fitted.steps = steps
        fitted.__dict__.pop("_cache_pools", None)
        with Clock() as c:
            sd, mean = fitted.sd(grid), fitted.mean(grid)
        sd_rmse = float(np.sqrt(np.mean((sd - truth.sd(grid)) ** 2)))
        mean_rmse = float(np.sqrt(np.mean((mean - truth.mean(grid)) ** 2)))
        trade.append((steps, c.wall, c.cpu, sd_rmse, mean_rmse))
        if steps in (1000, 100) and sd_rmse > SD_TARGET:
            ok = False

    print(
        f"\ndiffusion perf: heteroscedastic n={args.n}, hidden={hidden}, threads={args.threads}, "
        f"torch {torch.__version__}"
    )
    print(f"{'what':<30} {'loop':<40} {'wall s':>9} {'cpu s':>9}")
    for what, loop, w, cpu in rows:
        print(f"{what:<30} {loop:<40} {w:>9.4f} {cpu:>9.4f}")
    print(f"\nconditional sd/mean on 50 x values x {fitted.n_samples} draws ({50 * fitted.n_samples} chains)")
    print(f"{'steps':>6} {'wall s':>8} {'cpu s':>8} {'sd RMSE':>8} {'mean RMSE':>10}")
    for steps, w, cpu, sr, mr in trade:
        print(f"{steps:>6} {w:>8.2f} {cpu:>8.2f} {sr:>8.4f} {mr:>10.4f}")
    print(f"target: sd RMSE <= {SD_TARGET} at 1000 and 100 steps: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
