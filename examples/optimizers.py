"""Optimizers on a hard surface: SGD, momentum, Adagrad, RMSprop and Adam trajectories.

The Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 has its minimum at (1, 1)
at the end of a long, curved, flat-bottomed valley; the "valley" surface is a rotated,
badly conditioned quadratic.  Each optimizer starts at the same point and runs the same
number of steps; gradients come from tapegrad's autograd, updates from tapegrad.optim.
The left panel shows the paths on the contour plot, the right one the loss per step.

    pip install matplotlib      # (or: pip install ".[demo]")
    python examples/optimizers.py --out optimizers.png
    python examples/optimizers.py --surface valley --steps 300 --out valley.png
"""
from __future__ import annotations

import argparse
from typing import Callable

import numpy as np

import autograd as ag
import optim


def rosenbrock(x, y):
    """(1 - x)^2 + 100 (y - x^2)^2 on Tensors or ndarrays; minimum 0 at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


_C, _S = np.cos(np.pi / 6), np.sin(np.pi / 6)


def valley(x, y):
    """A quadratic valley 30 times longer than wide, rotated by 30 degrees; minimum 0
    at (0, 0)."""
    u, v = _C * x + _S * y, -_S * x + _C * y
    return 0.5 * (u * u / 30 + 30 * v * v)


SURFACES = {
    # name: (function, start, plot box (xmin, xmax, ymin, ymax), minimum)
    "rosenbrock": (rosenbrock, (-1.5, 2.0), (-2.0, 2.0, -1.0, 3.0), (1.0, 1.0)),
    "valley": (valley, (-4.2, -1.6), (-5.0, 5.0, -3.5, 3.5), (0.0, 0.0)),
}

# (optimizer class, fixed options) per curve; the learning rates per surface below.
OPTIMIZERS: dict[str, tuple[type, dict]] = {
    "SGD": (optim.SGD, {}),
    "SGD + momentum 0.9": (optim.SGD, {"momentum": 0.9}),
    "Adagrad": (optim.Adagrad, {}),
    "RMSprop": (optim.RMSprop, {}),
    "Adam": (optim.Adam, {}),
}
# Learning rates picked so that each method is near its best without diverging (plain
# SGD must stay below 2 / the largest curvature on its path: about 1e-3 on Rosenbrock,
# 2/30 on the valley).
LEARNING_RATES = {
    "rosenbrock": {"SGD": 5e-4, "SGD + momentum 0.9": 1e-4, "Adagrad": 0.5,
                   "RMSprop": 1e-2, "Adam": 5e-2},
    "valley": {"SGD": 0.06, "SGD + momentum 0.9": 0.01, "Adagrad": 1.0,
               "RMSprop": 0.05, "Adam": 0.3},
}


def trajectory(f: Callable, start: tuple[float, float],
               make_opt: Callable[[list], optim.Optimizer],
               steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The visited points (steps + 1, 2) and the loss at each of them."""
    xy = ag.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = make_opt([xy])
    points, losses = [xy.data.copy()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = f(xy[0], xy[1])
        loss.backward()
        losses.append(loss.item())
        opt.step()
        points.append(xy.data.copy())
    losses.append(float(f(*xy.data)))
    return np.array(points), np.array(losses)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="optimizers.png", help="PNG file to write")
    parser.add_argument("--surface", choices=sorted(SURFACES), default="rosenbrock")
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")              # no display needed
    import matplotlib.pyplot as plt

    f, start, (x0, x1, y0, y1), minimum = SURFACES[args.surface]
    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(14, 6),
                                      gridspec_kw={"width_ratios": [1.15, 1]})
    gx, gy = np.meshgrid(np.linspace(x0, x1, 400), np.linspace(y0, y1, 400))
    z = f(gx, gy)
    ax.contourf(gx, gy, np.log10(z + 1e-3), levels=40, cmap="Blues_r", alpha=0.35)
    ax.contour(gx, gy, np.log10(z + 1e-3), levels=20, colors="grey", linewidths=0.4)
    ax.plot(*start, "ko", ms=8, label="start")
    ax.plot(*minimum, "*", color="gold", mec="black", ms=18, label="minimum")

    # Paths often share the valley floor: draw the first ones widest so all stay visible,
    # with a dot every `every` steps so the speed along the path shows.
    every = max(1, args.steps // 25)
    widths = np.linspace(7, 1.5, len(OPTIMIZERS))
    for (name, (cls, opts)), color, lw in zip(OPTIMIZERS.items(), plt.cm.tab10.colors, widths):
        lr = LEARNING_RATES[args.surface][name]
        pts, losses = trajectory(f, start, lambda p: cls(p, lr=lr, **opts), args.steps)
        ok = np.isfinite(pts).all(axis=1)
        result = f"f = {losses[-1]:.2g}" if np.isfinite(losses[-1]) else "diverged"
        label = f"{name} (lr {lr:g}): {result}"
        ax.plot(pts[ok, 0], pts[ok, 1], "-", color=color, lw=lw, alpha=0.85, label=label,
                solid_capstyle="round")
        ax.plot(pts[ok][::every, 0], pts[ok][::every, 1], "o", color=color, ms=3.5,
                mec="black", mew=0.4)
        ax.plot(pts[ok][-1, 0], pts[ok][-1, 1], "s", color=color, ms=8, mec="black")
        ax_loss.semilogy(np.arange(len(losses)), losses, color=color, lw=1.8, label=name)
        print(f"{name:20s} final point {np.round(pts[-1], 4)}  f = {losses[-1]:.3g}")

    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y",
           title=f"{args.surface}: {args.steps} steps from {start}")
    ax.legend(loc="upper center", fontsize=9, framealpha=0.9,
              title=f"dots every {every} steps, square = end", title_fontsize=9)
    ax_loss.set(xlabel="step", ylabel="f (log scale)", title="loss per step")
    ax_loss.grid(True, which="both", alpha=0.3)
    ax_loss.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
