"""nn.data: TensorDataset and DataLoader."""
from __future__ import annotations

import collections

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


class _Samples(Dataset):
    """A generic (per-sample) dataset returning the given samples."""

    def __init__(self, samples):
        self.samples = samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        return self.samples[i]


def _batch(samples):
    return next(iter(DataLoader(_Samples(samples), batch_size=len(samples))))


def _torch_batch(samples):
    torch = pytest.importorskip("torch")
    return next(iter(torch.utils.data.DataLoader(_Samples(samples), batch_size=len(samples))))


P = collections.namedtuple("P", "x y")


def test_collate_keeps_torch_container_types():
    torch = pytest.importorskip("torch")
    ours = _batch([P(ag.zeros(2), 0), P(ag.ones(2), 1)])
    theirs = _torch_batch([P(torch.zeros(2), 0), P(torch.ones(2), 1)])
    assert type(ours) is P and type(theirs) is P
    np.testing.assert_array_equal(ours.x.data, theirs.x.numpy())
    np.testing.assert_array_equal(ours.y.data, theirs.y.numpy())
    samples = [(np.float32(1.5), "a", {"k": 1, "s": b"x"}),
               (np.float32(2.5), "b", {"k": 2, "s": b"y"})]
    ours, theirs = _batch(samples), _torch_batch(samples)
    assert type(ours) is type(theirs) is list and type(ours[2]) is type(theirs[2]) is dict
    assert ours[1] == theirs[1] and type(ours[1]) is type(theirs[1])   # strings as given
    assert ours[2]["s"] == theirs[2]["s"]
    assert ours[0].dtype == np.float32 and ours[0].tolist() == theirs[0].tolist()
    assert ours[2]["k"].tolist() == theirs[2]["k"].tolist()
    assert _batch(["a", "b"]) == _torch_batch(["a", "b"]) == ["a", "b"]
    for nums in ([1.5, 2.0], [1, 2.5], [True, False], [[1, 2], [3, 4]]):
        ours, theirs = _batch(nums), _torch_batch(nums)
        ours, theirs = (ours, theirs) if isinstance(ours, ag.Tensor) else (ours[0], theirs[0])
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        assert ours.tolist() == theirs.tolist()


def test_collate_keeps_samples_that_require_grad_on_the_graph():
    w = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)

    class Scaled(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return w[i] * 2
    batches = list(DataLoader(Scaled(), batch_size=2))
    assert all(b.requires_grad for b in batches)
    sum((b * b).sum() for b in batches).backward()
    np.testing.assert_allclose(w.grad.data, 8 * w.data)


@pytest.mark.parametrize("samples, error, message", [
    ([None, None], TypeError, "default_collate: batch must contain tensors, numpy arrays, "
                              "numbers, dicts or lists; found <class 'NoneType'>"),
    ([object(), object()], TypeError, "found <class 'object'>"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "found <U1"),
    ([ag.zeros(1), ag.zeros(2)], RuntimeError, r"stack expects each tensor to be equal size, "
                                               r"but got \[1\] at entry 0 and \[2\] at entry 1"),
    ([np.zeros((2, 1)), np.zeros((2, 1)), np.zeros(2)], RuntimeError,
     r"got \[2, 1\] at entry 0 and \[2\] at entry 2"),
    ([(1, 2), (3,)], RuntimeError, "each element in list of batch should be of equal size"),
    ([ag.zeros(1), None], TypeError, "default_collate: expected Tensor as element 1"),
])
def test_collate_refuses_what_torch_refuses(samples, error, message):
    with pytest.raises(error, match=message):
        _batch(samples)
    try:
        torch = pytest.importorskip("torch")
        _torch_batch([torch.from_numpy(s.data) if isinstance(s, ag.Tensor) else s
                      for s in samples])
    except error:
        pass
    else:
        pytest.fail("torch accepts this batch")


def test_tensor_dataset_batches_are_lists_as_in_pytorch():
    x, y = ag.randn(5, 3), ag.tensor(np.arange(5))
    batch = next(iter(DataLoader(TensorDataset(x, y), batch_size=2)))
    assert type(batch) is list and len(batch) == 2
    torch = pytest.importorskip("torch")
    tds = torch.utils.data.TensorDataset(torch.zeros(5, 3), torch.arange(5))
    assert type(next(iter(torch.utils.data.DataLoader(tds, batch_size=2)))) is list
