"""End to end: models trained with a manual SGD loop on scikit-learn's digits
(8x8 images, 10 classes) on a fixed, stratified 75/25 split."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    selection = pytest.importorskip("sklearn.model_selection")
    x, y = datasets.load_digits(return_X_y=True)
    xtr, xte, ytr, yte = selection.train_test_split(x, y, test_size=0.25, random_state=0,
                                                    stratify=y)
    mu, sd = xtr.mean(0), xtr.std(0) + 1.0    # +1: constant border pixels have std 0
    return (xtr - mu) / sd, ytr, (xte - mu) / sd, yte


def train_sgd(model, xtr, ytr, epochs, lr=0.1, seed=0):
    loader = nn.data.DataLoader(nn.data.TensorDataset(xtr, ytr), batch_size=32, shuffle=True,
                                seed=seed)
    params = list(model.parameters())
    losses = []
    for _ in range(epochs):
        total = 0.0
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            model.zero_grad()
            loss.backward()
            with ag.no_grad():
                for p in params:
                    p -= lr * p.grad
            total += float(loss) * len(yb)
        losses.append(total / len(ytr))
    return losses


def accuracy(model, x, y):
    with ag.no_grad():
        return float((model(x).data.argmax(1) == y).mean())


def test_two_layer_mlp_reaches_96_percent(digits):
    xtr, ytr, xte, yte = digits
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10))
    xtr32, xte32 = xtr.astype(np.float32), xte.astype(np.float32)
    losses = train_sgd(model, xtr32, ytr, epochs=20)
    assert losses[-1] < 0.1 * losses[0]
    acc = accuracy(model, xte32, yte)
    assert acc >= 0.96, f"test accuracy {acc:.3f}"


def test_keras_style_sequential_trains(digits):
    xtr, ytr, xte, yte = digits
    ag.manual_seed(0)
    model = nn.Sequential([nn.Dense(25, activation="relu"), nn.Dense(15, activation="relu"),
                           nn.Dense(10)])
    model(xtr[:1])   # build (in-features inferred: 64) before collecting parameters
    before = accuracy(model, xte, yte)
    losses = train_sgd(model, xtr, ytr, epochs=15)   # float64 NumPy data: Dense casts
    acc = accuracy(model, xte, yte)
    assert losses[-1] < 0.2 * losses[0] and before < 0.3
    assert acc >= 0.93, f"test accuracy {acc:.3f}"

