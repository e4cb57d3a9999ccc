"""nn.utils.rnn (packed and padded sequences) and RNN/LSTM/GRU on a PackedSequence:
values from PyTorch's documented examples and NumPy references, gradients against
finite differences in float64, error types and messages, and parity with PyTorch
(data, batch_sizes, indices, padded outputs, recurrent outputs, final states and
gradients) when it is installed."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd as ag
import nn
from nn.utils.rnn import (PackedSequence, invert_permutation, pack_padded_sequence,
                          pack_sequence, pad_packed_sequence, pad_sequence, unpack_sequence,
                          unpad_sequence)
from numeric import assert_raises_like_torch
from test_rnn import flat, make, torch_model


def rand(*shape, seed=0, requires_grad=True):
    return ag.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=ag.float64,
                     requires_grad=requires_grad)


def padded_reference(x: np.ndarray, lengths, padding_value=0.0, batch_first=False):
    """`x` (T, B, *) with the steps at or past each length set to padding_value."""
    out = np.array(x, dtype=float)
    view = out if not batch_first else out.swapaxes(0, 1)
    for b, n in enumerate(lengths):
        view[n:, b] = padding_value
    return out


# ---- the package -------------------------------------------------------------------------

def test_import_paths():
    import nn.utils.rnn as rnn_module
    assert nn.utils.rnn is rnn_module
    assert nn.utils.rnn.pack_padded_sequence is pack_padded_sequence
    assert callable(nn.utils.clip_grad_norm_) and callable(nn.utils.parameters_to_vector)
    assert set(rnn_module.__all__) >= {"PackedSequence", "pack_padded_sequence",
                                       "pad_packed_sequence", "pad_sequence", "pack_sequence",
                                       "unpack_sequence", "unpad_sequence"}


# ---- values (no PyTorch needed) ----------------------------------------------------------

def test_pack_padded_documented_example():
    """PyTorch's docstring: seq [[1,2,0],[3,0,0],[4,5,6]] with lengths [2,1,3] packs to
    data [4,1,3,5,2,6], batch_sizes [3,2,1], sorted [2,0,1], unsorted [1,2,0]."""
    seq = ag.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]])
    p = pack_padded_sequence(seq, [2, 1, 3], batch_first=True, enforce_sorted=False)
    assert isinstance(p, PackedSequence) and isinstance(p, tuple)
    assert p.data.tolist() == [4, 1, 3, 5, 2, 6]
    assert p.batch_sizes.tolist() == [3, 2, 1] and p.batch_sizes.dtype == np.int64
    assert p.sorted_indices.tolist() == [2, 0, 1] and p.unsorted_indices.tolist() == [1, 2, 0]
    padded, lengths = pad_packed_sequence(p, batch_first=True)
    assert padded.tolist() == [[1, 2, 0], [3, 0, 0], [4, 5, 6]]
    assert lengths.tolist() == [2, 1, 3] and lengths.dtype == np.int64


def test_pack_sequence_documented_example_and_fields():
    a, b, c = ag.tensor([1, 2, 3]), ag.tensor([4, 5]), ag.tensor([6])
    p = pack_sequence([a, b, c])
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert data.tolist() == [1, 4, 6, 2, 5, 3] and batch_sizes.tolist() == [3, 2, 1]
    assert sorted_indices is None and unsorted_indices is None
    assert p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert [s.tolist() for s in unpack_sequence(p)] == [[1, 2, 3], [4, 5], [6]]
    # ties keep their order (a stable sort), lengths 1, 3, 1, 3 -> 1, 3, 0, 2
    q = pack_sequence([ag.tensor([1]), ag.tensor([2, 3, 4]), ag.tensor([5]),
                       ag.tensor([6, 7, 8])], enforce_sorted=False)
    assert q.sorted_indices.tolist() == [1, 3, 0, 2]
    assert q.data.tolist() == [2, 6, 1, 5, 3, 7, 4, 8] and q.batch_sizes.tolist() == [4, 2, 2]


BF_SORTED = list(itertools.product([False, True], [False, True]))


@pytest.mark.parametrize("batch_first,enforce_sorted", BF_SORTED)
def test_pack_then_pad_is_the_masked_input(batch_first, enforce_sorted):
    x = np.random.default_rng(1).standard_normal((5, 4, 2, 3))   # T, B and two feature dims
    lengths = [5, 4, 2, 1] if enforce_sorted else [2, 5, 1, 4]
    xi = x.swapaxes(0, 1) if batch_first else x
    p = pack_padded_sequence(ag.tensor(xi), ag.tensor(lengths), batch_first, enforce_sorted)
    assert p.data.shape == (sum(lengths), 2, 3)
    assert p.batch_sizes.tolist() == [4, 3, 2, 2, 1]
    # the packed rows: step by step, longest sequence first
    order = sorted(range(4), key=lambda b: -lengths[b])
    rows = [x[t, b] for t in range(5) for b in order if t < lengths[b]]
    np.testing.assert_array_equal(p.data.data, np.stack(rows))
    padded, lens = pad_packed_sequence(p, batch_first, padding_value=-7.0, total_length=6)
    want = padded_reference(np.concatenate([x, np.zeros((1, 4, 2, 3))]), lengths, -7.0)
    np.testing.assert_array_equal(padded.data, want.swapaxes(0, 1) if batch_first else want)
    assert lens.tolist() == lengths


@pytest.mark.parametrize("batch_first,padding_side",
                         list(itertools.product([False, True], ["right", "left"])))
def test_pad_sequence_and_unpad(batch_first, padding_side):
    rng = np.random.default_rng(2)
    seqs = [rng.standard_normal((n, 2)) for n in (3, 0, 4, 1)]
    out = pad_sequence([ag.tensor(s) for s in seqs], batch_first, 9.0, padding_side)
    want = np.full((4, 4, 2), 9.0)
    for b, s in enumerate(seqs):
        if padding_side == "right":
            want[:len(s), b] = s
        else:
            want[4 - len(s):, b] = s
    np.testing.assert_array_equal(out.data, want.swapaxes(0, 1) if batch_first else want)
    if padding_side == "right":
        back = unpad_sequence(out, [len(s) for s in seqs], batch_first)
        assert [b.shape for b in back] == [s.shape for s in seqs]
        for b, s in zip(back, seqs):
            np.testing.assert_array_equal(b.data, s)


def test_pad_sequence_dtypes_and_tensor_input():
    out = pad_sequence([ag.tensor([1, 2, 3]), ag.tensor([4.5])], padding_value=-1.5)
    assert out.dtype == np.int64   # the first sequence's dtype, as PyTorch
    assert out.tolist() == [[1, 4], [2, -1], [3, -1]]
    x = ag.arange(6.0).reshape(2, 3)   # a tensor is a batch of its rows
    np.testing.assert_array_equal(pad_sequence(x).data, x.data.T)
    assert pad_sequence([ag.zeros(0, 2), ag.zeros(0, 2)]).shape == (0, 2, 2)


def test_packed_sequence_class():
    data, bs = ag.arange(3.0), ag.tensor([2, 1])
    p = PackedSequence(data, bs, ag.tensor([1, 0]))
    assert p.unsorted_indices.tolist() == [1, 0]
    q = PackedSequence((data, bs))
    assert q.data is data and q.batch_sizes is bs and q.sorted_indices is None
    with pytest.raises(AssertionError, match="list or tuple of length 2"):
        PackedSequence(data)
    assert p.float() is p and p.to(np.float32) is p and p.cpu() is p
    d = p.double()
    assert type(d) is PackedSequence and d.data.dtype == np.float64
    assert d.sorted_indices is p.sorted_indices and d.batch_sizes is p.batch_sizes
    assert p.long().data.dtype == np.int64 and p.to("cpu") is p
    assert invert_permutation(ag.tensor([2, 0, 3, 1])).tolist() == [1, 3, 0, 2]
    assert invert_permutation(None) is None


# ---- gradients vs finite differences -----------------------------------------------------

@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_gradients(batch_first):
    x = rand(3, 4, 2) if not batch_first else rand(4, 3, 2)
    lengths = [2, 3, 1, 2]

    def round_trip(x):
        p = pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False)
        return p.data * p.data, pad_packed_sequence(p, batch_first, 0.5, 4)[0]
    assert ag.gradcheck(round_trip, (x,))
    assert ag.gradgradcheck(round_trip, (x,))
    x.grad = None
    pad_packed_sequence(pack_padded_sequence(x, lengths, batch_first, False),
                        batch_first)[0].sum().backward()
    want = padded_reference(np.ones((3, 4, 2)), lengths)
    np.testing.assert_array_equal(x.grad.data, want.swapaxes(0, 1) if batch_first else want)


@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_pack_sequence_gradients(padding_side):
    seqs = (rand(2, 3, seed=1), rand(4, 3, seed=2), rand(1, 3, seed=3))
    assert ag.gradcheck(lambda *s: pad_sequence(s, True, 2.0, padding_side) ** 2, seqs)
    assert ag.gradcheck(lambda *s: pack_sequence(s, enforce_sorted=False).data.exp(), seqs)
    assert ag.gradcheck(lambda *s: tuple(unpack_sequence(pack_sequence(s, False))), seqs)
    assert ag.gradcheck(lambda x: tuple(unpad_sequence(x, [1, 3], batch_first=True)),
                        (rand(2, 3, 2),))


# ---- recurrent layers on a PackedSequence (no PyTorch needed) ----------------------------

@pytest.mark.parametrize("mode", ["RNN_TANH", "LSTM", "GRU"])
def test_packed_input_matches_each_sequence_alone(mode):
    """Each sequence's packed outputs and final state are those of running it alone."""
    ag.manual_seed(3)
    model = make(mode, 2, 3, num_layers=2, bidirectional=True)
    seqs = [rand(n, 2, seed=n, requires_grad=False) for n in (2, 4, 1)]
    out, st = model(pack_sequence(seqs, enforce_sorted=False))
    assert isinstance(out, PackedSequence) and out.sorted_indices.tolist() == [1, 0, 2]
    states = flat((None, st))[1:]
    for b, (s, y) in enumerate(zip(seqs, unpack_sequence(out))):
        y1, st1 = model(s)
        np.testing.assert_allclose(y.data, y1.data, atol=1e-12)
        for h, h1 in zip(states, flat((None, st1))[1:]):
            np.testing.assert_allclose(h.data[:, b], h1.data, atol=1e-12)


@pytest.mark.parametrize("mode,batch_first", [("LSTM", False), ("GRU", True)])
def test_packed_input_equals_padded_with_lengths_and_gradients(mode, batch_first):
    """A packed batch gives the padded run's values (hx in the original order), and its
    gradients (input and hx) match finite differences."""
    ag.manual_seed(4)
    model = make(mode, 2, 2, bidirectional=True, batch_first=batch_first)
    lengths = [2, 3, 1]
    x = rand(3, 3, 2)
    hx = tuple(rand(2, 3, 2, seed=5 + j) for j in range(2 if mode == "LSTM" else 1))
    packed = pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False)
    out, st = model(packed, hx if mode == "LSTM" else hx[0])
    y, st2 = model(x, hx if mode == "LSTM" else hx[0], lengths=lengths)
    assert out.batch_sizes is packed.batch_sizes and out.unsorted_indices is packed.unsorted_indices
    np.testing.assert_allclose(pad_packed_sequence(out, batch_first)[0].data, y.data, atol=1e-12)
    for a, b in zip(flat((None, st))[1:], flat((None, st2))[1:]):
        np.testing.assert_allclose(a.data, b.data, atol=1e-12)

    def run(x, *hx):
        p = pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False)
        out, st = model(p, hx if mode == "LSTM" else hx[0])
        return flat((out.data, st))
    assert ag.gradcheck(run, (x,) + hx)


# ---- errors ------------------------------------------------------------------------------

def test_pack_padded_errors():
    x = ag.randn(4, 3, 2)
    pack = nn.utils.rnn.pack_padded_sequence

    def both(exc, match, args, kw={}):
        assert_raises_like_torch(exc, match, lambda: pack(*args, **kw),
                                 lambda torch: torch.nn.utils.rnn.pack_padded_sequence(
                                     *[torch.from_numpy(a.data) if isinstance(a, ag.Tensor)
                                       else a for a in args], **kw))
    both(RuntimeError, r"pack_padded_sequence: `lengths` array must be sorted in decreasing "
                       r"order when `enforce_sorted` is True, got \[4, 2, 3\].*"
                       r"enforce_sorted=False", (x, [4, 2, 3]))
    both(RuntimeError, r"greater than 0.*<= 0 \(lengths \[4, 3, 0\]\)", (x, [4, 3, 0]))
    both(RuntimeError, r"greater than 0.*\[4, 0, 3\]", (x, [4, 0, 3]),
         dict(enforce_sorted=False))
    both(RuntimeError, r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 "
                       r"\(batch_size=3\)", (x, [4, 3]))
    both(RuntimeError, r"'lengths' argument should be a 1D int64 tensor, but got 2D",
         (x, [[4, 3, 2]]))
    both(RuntimeError, r"1D int64 tensor, but got 0D", (x, 4))
    both(RuntimeError, r"Cannot pack empty tensors \(input shape \(0, 3\)\)",
         (ag.zeros(0, 3), [1, 1, 1]))
    both(IndexError, r"at least 2 dimensions \(T, B, \*\), got shape \(4,\)",
         (ag.randn(4), [1, 1]))
    both(ValueError, r"lengths must be a 1-D sequence of ints", (x, ["a", "b", "c"]))
    with pytest.raises(TypeError, match="pack_padded_sequence: input must be a Tensor, got list"):
        pack([[1.0, 2.0]], [1, 1])
    with pytest.raises(TypeError, match="pack_padded_sequence: lengths must be a 1-D sequence "
                                        "of ints, got None"):
        pack(x, None)
    # longer than the padded input (PyTorch reads out of bounds here instead)
    with pytest.raises(RuntimeError, match=r"lengths must be at most the padded sequence length "
                                           r"4 \(input shape \(4, 3, 2\)\), got \[5, 3, 2\]"):
        pack(x, [5, 3, 2])
    with pytest.raises(RuntimeError, match=r"at most the padded sequence length 3"):
        pack(x, [2, 3, 6, 1], batch_first=True, enforce_sorted=False)
    # float lengths are truncated, as PyTorch's as_tensor(lengths, dtype=int64)
    assert pack(x, [4.7, 3, 2]).batch_sizes.tolist() == [3, 3, 2, 1]


def test_pad_packed_and_pad_sequence_errors():
    p = pack_padded_sequence(ag.randn(4, 3, 2), [2, 3, 2], enforce_sorted=False)

    def both(exc, match, ours, theirs):
        assert_raises_like_torch(exc, match, ours, theirs)
    tp = (lambda torch: torch.nn.utils.rnn.pack_padded_sequence(
        torch.zeros(4, 3, 2), [2, 3, 2], enforce_sorted=False))
    both(ValueError, r"pad_packed_sequence: Expected total_length to be at least the length of "
                     r"the longest sequence in input, but got total_length=2 and max sequence "
                     r"length being 3", lambda: pad_packed_sequence(p, total_length=2),
         lambda torch: torch.nn.utils.rnn.pad_packed_sequence(tp(torch), total_length=2))
    both(TypeError, r"total_length must be int, not float",
         lambda: pad_packed_sequence(p, total_length=3.5),
         lambda torch: torch.nn.utils.rnn.pad_packed_sequence(tp(torch), total_length=3.5))
    with pytest.raises(TypeError, match=r"pad_packed_sequence: expected a PackedSequence, "
                                        r"got Tensor"):
        pad_packed_sequence(ag.randn(3, 2))
    with pytest.raises(RuntimeError, match=r"batch_sizes \[2, 2\] do not add up to the 3 rows"):
        pad_packed_sequence(PackedSequence(ag.randn(3, 2), ag.tensor([2, 2])))

    rnn = lambda torch: torch.nn.utils.rnn   # noqa: E731
    both(RuntimeError, r"pad_sequence: received an empty list of sequences",
         lambda: pad_sequence([]), lambda torch: rnn(torch).pad_sequence([]))
    both(RuntimeError, r"pad_sequence: Expected iterable for input sequences, but got arg of "
                       r"type: <class 'int'>",
         lambda: pad_sequence(5), lambda torch: rnn(torch).pad_sequence(5))
    both(RuntimeError, r"same trailing dimensions: sequence 0 has shape \(2, 3\), sequence 1 "
                       r"has shape \(3, 2\)",
         lambda: pad_sequence([ag.zeros(2, 3), ag.zeros(3, 2)]),
         lambda torch: rnn(torch).pad_sequence([torch.zeros(2, 3), torch.zeros(3, 2)]))
    both(RuntimeError, r"sequence 1 has shape \(3, 3, 1\)",
         lambda: pad_sequence([ag.zeros(2, 3), ag.zeros(3, 3, 1)]),
         lambda torch: rnn(torch).pad_sequence([torch.zeros(2, 3), torch.zeros(3, 3, 1)]))
    both(RuntimeError, r"Expected padding_side to be one of left or right, but got middle",
         lambda: pad_sequence([ag.zeros(2)], padding_side="middle"),
         lambda torch: rnn(torch).pad_sequence([torch.zeros(2)], padding_side="middle"))
    both(TypeError, r"expected Tensor as element 1 in argument 0, but got list",
         lambda: pad_sequence([ag.zeros(2), [1.0]]),
         lambda torch: rnn(torch).pad_sequence([torch.zeros(2), [1.0]]))
    with pytest.raises(RuntimeError, match=r"sequence 0 has shape \(\)"):
        pad_sequence([ag.tensor(1.0), ag.zeros(3)])
    both(RuntimeError, r"must be sorted in decreasing order",
         lambda: pack_sequence([ag.zeros(1), ag.zeros(2)]),
         lambda torch: rnn(torch).pack_sequence([torch.zeros(1), torch.zeros(2)]))
    both(ValueError, r"unpad_sequence: got 3 lengths for a batch of 2 sequences",
         lambda: unpad_sequence(ag.zeros(3, 2, 2), ag.tensor([3, 2, 1])),
         lambda torch: rnn(torch).unpad_sequence(torch.zeros(3, 2, 2),
                                                 torch.tensor([3, 2, 1])))


def test_recurrent_packed_input_errors():
    m = nn.GRU(2, 3)
    p = pack_padded_sequence(ag.randn(4, 3, 2), [4, 3, 2])
    with pytest.raises(ValueError, match=r"GRU: lengths= cannot be given with a PackedSequence"):
        m(p, lengths=[4, 3, 2])
    assert_raises_like_torch(
        RuntimeError, r"GRU: Expected hidden size \(1, 3, 3\), got \[1, 2, 3\]",
        lambda: m(p, ag.zeros(1, 2, 3)),
        lambda torch: torch.nn.GRU(2, 3)(torch.nn.utils.rnn.pack_padded_sequence(
            torch.zeros(4, 3, 2), [4, 3, 2]), torch.zeros(1, 2, 3)))
    assert_raises_like_torch(
        RuntimeError, r"GRU: a PackedSequence input must have 2-D data \(N, input_size\), got "
                      r"\(9,\)",
        lambda: m(pack_padded_sequence(ag.randn(4, 3), [4, 3, 2])),
        lambda torch: torch.nn.GRU(2, 3)(torch.nn.utils.rnn.pack_padded_sequence(
            torch.zeros(4, 3), [4, 3, 2])))
    assert_raises_like_torch(
        RuntimeError, r"GRU: input.size\(-1\) must be equal to input_size. Expected 2, got 5",
        lambda: m(pack_padded_sequence(ag.randn(4, 3, 5), [4, 3, 2])),
        lambda torch: torch.nn.GRU(2, 3)(torch.nn.utils.rnn.pack_padded_sequence(
            torch.zeros(4, 3, 5), [4, 3, 2])))


# ---- PyTorch parity ----------------------------------------------------------------------

def to_torch(torch, p: PackedSequence):
    """Our PackedSequence as PyTorch's (same fields)."""
    conv = lambda t: None if t is None else torch.from_numpy(t.data.copy())   # noqa: E731
    return torch.nn.utils.rnn.PackedSequence(*[conv(t) for t in p])


def assert_same_packed(p, tp):
    np.testing.assert_allclose(p.data.data, tp.data.detach().numpy(), rtol=0, atol=1e-12)
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        ours, theirs = getattr(p, name), getattr(tp, name)
        assert (ours is None) == (theirs is None), name
        if ours is not None:
            assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist(), name


@pytest.mark.parametrize("batch_first,enforce_sorted", BF_SORTED)
def test_torch_parity_pack_pad(batch_first, enforce_sorted):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    lengths = [4, 4, 2, 1] if enforce_sorted else [1, 4, 2, 4]
    for feat in [(), (2,)]:
        x_np = rng.standard_normal(((4, 5) if batch_first else (5, 4)) + feat)
        x, tx = ag.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
        p = pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        tp = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.tensor(lengths), batch_first,
                                                     enforce_sorted)
        assert_same_packed(p, tp)
        for kw in [{}, dict(padding_value=-2.0, total_length=6)]:
            y, lens = pad_packed_sequence(p, batch_first, **kw)
            ty, tlens = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first, **kw)
            np.testing.assert_array_equal(y.data, ty.detach().numpy())
            assert lens.tolist() == tlens.tolist()
        u = rng.standard_normal(y.shape)
        (y * ag.tensor(u) + p.data.sum() ** 2).sum().backward()
        (ty * torch.tensor(u) + tp.data.sum() ** 2).sum().backward()
        np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_torch_parity_sequences():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((n, 2)) for n in (2, 5, 3)]
    seqs = [ag.tensor(a, requires_grad=True) for a in arrays]
    tseqs = [torch.tensor(a, requires_grad=True) for a in arrays]
    R, TR = nn.utils.rnn, torch.nn.utils.rnn
    loss, tloss = 0, 0
    for bf, side in itertools.product([False, True], ["right", "left"]):
        y, ty = R.pad_sequence(seqs, bf, 0.25, side), TR.pad_sequence(tseqs, bf, 0.25, side)
        np.testing.assert_array_equal(y.data, ty.detach().numpy())
        loss, tloss = loss + (y ** 3).sum(), tloss + (ty ** 3).sum()
    p = R.pack_sequence(seqs, enforce_sorted=False)
    tp = TR.pack_sequence(tseqs, enforce_sorted=False)
    assert_same_packed(p, tp)
    for a, b in zip(R.unpack_sequence(p), TR.unpack_sequence(tp)):
        np.testing.assert_array_equal(a.data, b.detach().numpy())
        loss, tloss = loss + a.exp().sum(), tloss + b.exp().sum()
    padded = rng.standard_normal((5, 3, 2))
    for a, b in zip(R.unpad_sequence(ag.tensor(padded), ag.tensor([5, 1, 3])),
                    TR.unpad_sequence(torch.tensor(padded), torch.tensor([5, 1, 3]))):
        np.testing.assert_array_equal(a.data, b.numpy())
    int_seqs = [np.arange(3), np.arange(1)]
    assert R.pad_sequence([ag.tensor(s) for s in int_seqs], padding_value=1.5).tolist() == \
        TR.pad_sequence([torch.tensor(s) for s in int_seqs], padding_value=1.5).tolist()
    loss.backward()
    tloss.backward()
    for s, ts in zip(seqs, tseqs):
        np.testing.assert_allclose(s.grad.data, ts.grad.numpy(), rtol=1e-12)


RECURRENT_CASES = [(mode, es, bf, 2, True) for mode, es, bf in
                   itertools.product(["RNN_TANH", "LSTM", "GRU"], [True, False], [False, True])]
RECURRENT_CASES += [("RNN_RELU", False, False, 1, False), ("LSTM", False, True, 1, False)]


@pytest.mark.parametrize("mode,enforce_sorted,batch_first,layers,bidir", RECURRENT_CASES)
def test_torch_parity_recurrent_packed(mode, enforce_sorted, batch_first, layers, bidir):
    """Same packed output, h_n (and c_n) and gradients (input, hx, parameters) as
    PyTorch's module on the same PackedSequence."""
    torch = pytest.importorskip("torch")
    ag.manual_seed(8)
    ours = make(mode, 3, 4, num_layers=layers, bidirectional=bidir, batch_first=batch_first)
    tm = torch_model(torch, ours)
    rng = np.random.default_rng(9)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    x_np = rng.standard_normal((4, 5, 3) if batch_first else (5, 4, 3))
    k = layers * (2 if bidir else 1)
    hx_np = [rng.standard_normal((k, 4, 4)) for _ in range(2 if mode == "LSTM" else 1)]
    x, tx = ag.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    hx = [ag.tensor(h, requires_grad=True) for h in hx_np]
    thx = [torch.tensor(h, requires_grad=True) for h in hx_np]
    p = pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, batch_first, enforce_sorted)
    out = ours(p, tuple(hx) if mode == "LSTM" else hx[0])
    tout = tm(tp, tuple(thx) if mode == "LSTM" else thx[0])
    assert isinstance(out[0], PackedSequence)
    assert_same_packed(out[0], tout[0])
    outs, touts = flat((out[0].data, out[1])), flat((tout[0].data, tout[1]))
    loss, tloss = 0, 0
    for o, to in zip(outs, touts):
        assert o.shape == tuple(to.shape)
        np.testing.assert_allclose(o.data, to.detach().numpy(), atol=1e-12)
        u = rng.standard_normal(o.shape)
        loss, tloss = loss + (o * ag.tensor(u)).sum(), tloss + (to * torch.tensor(u)).sum()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), atol=1e-12)
    for h, th in zip(hx, thx):
        np.testing.assert_allclose(h.grad.data, th.grad.numpy(), atol=1e-12)
    theirs = dict(tm.named_parameters())
    for n, prm in ours.named_parameters():
        np.testing.assert_allclose(prm.grad.data, theirs[n].grad.numpy(), atol=1e-12, err_msg=n)


def test_torch_packed_sequence_runs_our_module():
    """A PackedSequence converted field by field from PyTorch's runs through ours."""
    torch = pytest.importorskip("torch")
    ag.manual_seed(10)
    ours = make("GRU", 2, 3)
    tm = torch_model(torch, ours)
    x = np.random.default_rng(11).standard_normal((3, 3, 2))
    tp = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), [1, 3, 2],
                                                 enforce_sorted=False)
    p = PackedSequence(*[ag.tensor(t.numpy()) for t in tp])
    y, h = ours(p)
    ty, th = tm(tp)
    np.testing.assert_allclose(y.data.data, ty.data.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(h.data, th.detach().numpy(), atol=1e-12)
    assert to_torch(torch, y).sorted_indices.tolist() == ty.sorted_indices.tolist()
