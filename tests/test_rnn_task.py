"""End-to-end: recurrent networks learn a task that needs memory.

The temporal order problem (Hochreiter & Schmidhuber 1997, experiment 6a): a sequence
of random distractor symbols holds two marker symbols, each X or Y, one in the first
half and one in the second; the class is the order of the markers (XX, XY, YX, YY).
Sequences have random lengths and are padded, so the model must read ``h_n`` at each
sequence's own end (the ``lengths`` argument) and carry the first marker across the
distractors.  Chance is 25%; a fixed seed makes the run reproducible.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from nn import functional as F

N_SYMBOLS = 6            # 0-3 distractors, 4 = X, 5 = Y
MAX_LEN = 40


def temporal_order(rng: np.random.Generator, n: int, lo: int = 24, hi: int = MAX_LEN):
    """(x (n, hi, 6) one-hot, zero past each length; lengths (n,); labels (n,))."""
    lengths = rng.integers(lo, hi + 1, n)
    seq = rng.integers(0, 4, (n, hi))
    first, second = rng.integers(0, 2, n), rng.integers(0, 2, n)
    rows = np.arange(n)
    seq[rows, rng.integers(0, lengths // 2)] = 4 + first
    seq[rows, rng.integers(lengths // 2, lengths)] = 4 + second
    x = np.eye(N_SYMBOLS, dtype=np.float32)[seq]
    x[np.arange(hi)[None, :] >= lengths[:, None]] = 0
    return x, lengths, 2 * first + second


class Classifier(nn.Module):
    """A recurrent layer read at each sequence's end, then a linear head."""

    def __init__(self, kind: str, hidden: int = 24) -> None:
        super().__init__()
        self.rnn = getattr(nn, kind)(N_SYMBOLS, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 4)

    def forward(self, x, lengths):
        _, state = self.rnn(x, lengths=lengths)
        h = state[0] if isinstance(state, tuple) else state
        return self.head(h[-1])


def evaluate(model, x, lengths, labels) -> tuple:
    """(accuracy, mean cross-entropy) on a held-out set."""
    with ag.no_grad():
        logits = model(ag.tensor(x), lengths)
        loss = F.cross_entropy(logits, ag.tensor(labels)).item()
    return float((logits.data.argmax(-1) == labels).mean()), loss


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_learns_temporal_order(kind):
    ag.manual_seed(0)
    rng = np.random.default_rng(0)
    model = Classifier(kind)
    opt = optim.Adam(model.parameters(), lr=0.01)
    test = temporal_order(np.random.default_rng(123), 1000)
    start = time.perf_counter()
    acc0, loss0 = evaluate(model, *test)
    for _ in range(300):
        x, lengths, y = temporal_order(rng, 32)
        loss = F.cross_entropy(model(ag.tensor(x), lengths), ag.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    acc, test_loss = evaluate(model, *test)
    elapsed = time.perf_counter() - start
    print(f"{kind}: held-out accuracy {acc0:.3f} -> {acc:.3f}, loss {loss0:.3f} -> "
          f"{test_loss:.4f}, {elapsed:.1f}s")
    assert acc0 < 0.4 and loss0 > 1.2          # untrained: chance level (ln 4 = 1.39)
    assert acc >= 0.97, f"{kind} reached only {acc:.3f} held-out accuracy"
    assert test_loss < 0.1
    assert elapsed < 60
