"""nn.data: TensorDataset and DataLoader."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from nn.data import DataLoader, Dataset, TensorDataset


def _data(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n) % 4
    return x, y


def test_tensor_dataset_indexing_and_size_check():
    x, y = _data()
    ds = TensorDataset(ag.tensor(x), y)
    assert len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi.data, x[3]) and int(yi) == 3
    # PyTorch asserts the sizes (AssertionError) and indexes a 0-d tensor (IndexError).
    with pytest.raises(AssertionError, match=r"Size mismatch between tensors.*\(10, 3\), \(9,\)"):
        TensorDataset(x, y[:9])
    with pytest.raises(IndexError, match=r"first dim.*\(\)"):
        TensorDataset(ag.tensor(1.0), ag.ones(1))


def test_sequential_batches_and_drop_last():
    x, y = _data(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate([b[0].data for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1].data for b in batches]), y)
    dropped = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b[0].shape[0] for b in dropped] == [4, 4]
    batches[0][0].data[...] = -1       # a batch is a copy, never a view of the dataset
    assert x.min() >= 0


def test_shuffle_is_a_permutation_reproducible_by_seed():
    x, y = _data(23)
    ds = TensorDataset(x, y)
    epochs = [np.concatenate([b[1].data for b in DataLoader(ds, 5, shuffle=True, seed=3)])
              for _ in range(2)]
    np.testing.assert_array_equal(epochs[0], epochs[1])          # same seed, same order
    loader = DataLoader(ds, 5, shuffle=True, seed=3)
    e1 = np.concatenate([b[0].data for b in loader])
    e2 = np.concatenate([b[0].data for b in loader])
    assert not np.array_equal(e1, e2)                           # a new order each epoch
    for e in (e1, e2):
        np.testing.assert_array_equal(np.sort(e[:, 0]), x[:, 0])
        assert not np.array_equal(e, x)
    np.testing.assert_array_equal(epochs[0], e1[:, 0] // 3 % 4)  # rows stay paired
    ag.manual_seed(9)
    a = np.concatenate([b[1].data for b in DataLoader(ds, 4, shuffle=True)])
    ag.manual_seed(9)
    b = np.concatenate([b[1].data for b in DataLoader(ds, 4, shuffle=True)])
    np.testing.assert_array_equal(a, b)                         # seed=None: manual_seed


def test_array_backed_datasets_are_indexed_in_bulk():
    class NoPerSample(TensorDataset):
        def __getitem__(self, index):
            raise AssertionError("per-sample __getitem__ called")
    x, y = _data(7)
    assert sum(b[0].shape[0] for b in DataLoader(NoPerSample(x, y), 3, shuffle=True)) == 7
    batches = list(DataLoader(ag.tensor(x), batch_size=5))   # a plain tensor dataset
    assert isinstance(batches[0], ag.Tensor) and batches[1].shape == (2, 3)


def test_generic_dataset_is_collated():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return ag.tensor([float(i), float(i * i)]), i
    xb, yb = next(iter(DataLoader(Squares(), batch_size=3)))
    np.testing.assert_array_equal(xb.data, [[0, 0], [1, 1], [2, 4]])
    np.testing.assert_array_equal(yb.data, [0, 1, 2])


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size should be a positive integer, got 0"):
        DataLoader(TensorDataset(*_data()), batch_size=0)
