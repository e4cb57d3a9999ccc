"""End to end: a small CNN (conv-BN-ReLU-pool twice, then a linear layer) trained on
scikit-learn's bundled 8x8 digits reaches >= 98% accuracy on a fixed held-out split.

The split (450 test images) and every random draw are fixed by seeds; the time is
printed (run with -s), not asserted."""
from __future__ import annotations

import time

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from nn import functional as F

datasets = pytest.importorskip("sklearn.datasets")

EPOCHS = 12


def _split():
    digits = datasets.load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]       # (1797, 1, 8, 8) in [0, 1]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(y))
    test, train = order[:450], order[450:]
    return x[train], y[train], x[test], y[test]


def make_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))


def test_cnn_reaches_98_percent_on_digits():
    ag.manual_seed(0)
    x_train, y_train, x_test, y_test = _split()
    model = make_cnn()
    opt = optim.Adam(model.parameters(), lr=3e-3)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    for epoch in range(EPOCHS):
        model.train()
        order = rng.permutation(len(y_train))
        for i in range(0, len(order), 32):
            batch = order[i:i + 32]
            loss = F.cross_entropy(model(ag.tensor(x_train[batch])), ag.tensor(y_train[batch]))
            opt.zero_grad()
            loss.backward()
            opt.step()
        schedule.step()
    elapsed = time.perf_counter() - start
    model.eval()
    with ag.no_grad():
        pred = model(ag.tensor(x_test)).data.argmax(1)
    accuracy = float((pred == y_test).mean())
    print(f"\ndigits CNN: test accuracy {accuracy:.4f} after {EPOCHS} epochs, "
          f"training {elapsed:.1f} s")
    assert accuracy >= 0.98
