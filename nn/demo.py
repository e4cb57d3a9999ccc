"""Demo: train an MLP on scikit-learn's bundled digits (8x8 images, 10 classes).

    python -m nn.demo [--epochs 20] [--hidden 100] [--lr 0.1] [--batch-size 32] [--seed 0]

Everything goes through tapegrad's API: nn.Sequential of Linear/ReLU layers,
F.cross_entropy, nn.data.DataLoader, optim.SGD.  Needs scikit-learn (the `demo`
extra: ``pip install ".[demo]"``).
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import autograd as ag
import nn
import optim
from nn import functional as F


def load_data(seed: int) -> tuple:
    """Digits standardized with the training split's statistics; 75/25 stratified split."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        sys.exit("nn.demo needs scikit-learn: pip install scikit-learn (or pip install '.[demo]')")
    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    mu, sd = xtr.mean(0), xtr.std(0) + 1.0   # +1: the constant border pixels have std 0
    return (((xtr - mu) / sd).astype(np.float32), ytr,
            ((xte - mu) / sd).astype(np.float32), yte)


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of correctly classified samples."""
    with ag.no_grad():
        return float((model(ag.tensor(x)).data.argmax(1) == y).mean())


def main(argv: list | None = None) -> int:
    """Parse the arguments, train, print progress and the test accuracy."""
    ap = argparse.ArgumentParser(prog="python -m nn.demo", description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=20, help="passes over the training set")
    ap.add_argument("--hidden", type=int, default=100, help="hidden units")
    ap.add_argument("--lr", type=float, default=0.1, help="SGD learning rate")
    ap.add_argument("--batch-size", type=int, default=32, help="mini-batch size")
    ap.add_argument("--seed", type=int, default=0, help="seed of the split, init and shuffling")
    args = ap.parse_args(argv)

    xtr, ytr, xte, yte = load_data(args.seed)
    ag.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(64, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10))
    opt = optim.SGD(model.parameters(), lr=args.lr)
    loader = nn.data.DataLoader(nn.data.TensorDataset(xtr, ytr), batch_size=args.batch_size,
                                shuffle=True, seed=args.seed)
    print(f"digits: {len(ytr)} training / {len(yte)} test images; model:\n{model}")
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(yb)
        print(f"epoch {epoch:3d}  loss {total / len(ytr):.4f}  "
              f"test accuracy {accuracy(model, xte, yte):.2%}", flush=True)
    print(f"trained in {time.perf_counter() - start:.1f}s; "
          f"final test accuracy {accuracy(model, xte, yte):.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
