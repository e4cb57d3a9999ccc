"""CTCLoss, Bilinear, LocalResponseNorm and EmbeddingBag beyond the op table: CTC against
a brute-force sum over alignments, its infinite losses, zero_infinity and gradients
(checked in float64 and twice differentiable); EmbeddingBag against Embedding plus manual
sums, its empty bags, padding, per-sample weights and max ties; Bilinear and
LocalResponseNorm against their definitions; with torch installed, outputs, gradients,
state_dicts, reprs and exception types against PyTorch's (skipped without it)."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F

from numeric import assert_raises_like_torch
from optable.nn_layers import _np_bag, _np_lrn
from optable.nn_losses import collapse, np_ctc_brute

RNG = np.random.default_rng(0)


def _torch():
    return pytest.importorskip("torch")


def _log_probs(t, n, c, seed=0):
    x = np.random.default_rng(seed).standard_normal((t, n, c))
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


# ---- CTC without PyTorch ------------------------------------------------------------------

def test_collapse_merges_repeats_then_drops_blanks():
    # (the brute-force reference rests on it)
    assert collapse((1, 1, 0, 1, 2, 2, 0)) == (1, 1, 2)
    assert collapse((0, 0)) == ()
    assert collapse((3, 0, 3), blank=3) == (0,)


CTC_CASES = [   # (targets padded, input_lengths, target_lengths), T = 5, C = 3
    ([[1, 1], [2, 1], [1, 2]], [5, 4, 3], [2, 2, 2]),    # a repeat needs a blank between
    ([[2, 0], [1, 2], [1, 0]], [5, 0, 5], [0, 0, 1]),    # empty targets, zero frames
    ([[1, 2], [2, 2], [1, 1]], [1, 3, 3], [1, 2, 2]),    # exactly enough frames
]


@pytest.mark.parametrize("labels,il,tl", CTC_CASES)
def test_ctc_equals_the_sum_over_all_alignments(labels, il, tl):
    lp = _log_probs(5, 3, 3)
    got = F.ctc_loss(ag.tensor(lp), labels, il, tl, reduction="none")
    np.testing.assert_allclose(got.data, np_ctc_brute(lp, np.array(labels), il, tl),
                               rtol=1e-12)


def test_ctc_of_a_single_frame_is_minus_the_label_log_probability():
    lp = _log_probs(1, 2, 4)
    got = F.ctc_loss(ag.tensor(lp), [[3], [1]], [1, 1], [1, 0], reduction="none")
    np.testing.assert_allclose(got.data, [-lp[0, 0, 3], -lp[0, 1, 0]], rtol=1e-12)


def test_ctc_reductions_and_target_formats_agree():
    lp = ag.tensor(_log_probs(5, 3, 3))
    labels, il, tl = [[1, 2, 0], [2, 0, 0], [1, 1, 2]], [5, 4, 5], [2, 0, 3]
    per = F.ctc_loss(lp, labels, il, tl, reduction="none").data
    # "mean" divides each loss by its target length, at least 1, then averages
    mean = F.ctc_loss(lp, labels, il, tl).data
    np.testing.assert_allclose(mean, np.mean(per / np.array([2, 1, 3])), rtol=1e-12)
    np.testing.assert_allclose(F.ctc_loss(lp, labels, il, tl, reduction="sum").data,
                               per.sum(), rtol=1e-12)
    # concatenated targets, lengths as tensors or arrays, padding past the lengths ignored
    concat = F.ctc_loss(lp, ag.tensor([1, 2, 1, 1, 2]), ag.tensor(il), np.array(tl),
                        reduction="none")
    np.testing.assert_array_equal(concat.data, per)
    padded = F.ctc_loss(lp, [[1, 2, -1, 9], [2, 7, 7, 7], [1, 1, 2, -1]], tuple(il), tl,
                        reduction="none")
    np.testing.assert_array_equal(padded.data, per)
    # unbatched (T, C): a 0-d loss, the batched one's
    one = F.ctc_loss(lp[:, 2], [1, 1, 2], [5], [3], reduction="none")
    assert one.shape == () and one.data == per[2]


def test_ctc_blank_may_be_any_class():
    lp = _log_probs(4, 2, 3)
    got = F.ctc_loss(ag.tensor(lp), [[0, 1], [1, 1]], [4, 4], [2, 2], blank=2,
                     reduction="none")
    np.testing.assert_allclose(got.data, np_ctc_brute(lp, np.array([[0, 1], [1, 1]]), [4, 4],
                                                      [2, 2], blank=2), rtol=1e-12)


def test_ctc_impossible_alignment_is_infinite_with_nan_gradients_or_zero():
    # [1, 1] needs 3 frames (1, blank, 1); sample 0 has 2
    lp = _log_probs(4, 2, 3)
    args = ([[1, 1], [2, 1]], [2, 4], [2, 2])
    x = ag.tensor(lp, requires_grad=True)
    loss = F.ctc_loss(x, *args, reduction="none")
    assert loss.data[0] == math.inf and np.isfinite(loss.data[1])
    assert F.ctc_loss(x, *args).data == math.inf
    loss.sum().backward()
    g = x.grad.data
    assert np.isnan(g[:2, 0]).all() and (g[2:, 0] == 0).all()   # nan on its 2 frames only
    assert np.isfinite(g[:, 1]).all()
    x.grad = None
    zeroed = F.ctc_loss(x, *args, reduction="none", zero_infinity=True)
    np.testing.assert_array_equal(zeroed.data, [0.0, loss.data[1]])
    zeroed.sum().backward()
    assert (x.grad.data[:, 0] == 0).all()
    np.testing.assert_array_equal(x.grad.data[:, 1], g[:, 1])


def test_ctc_zero_probability_entries():
    lp = _log_probs(4, 2, 3)
    lp[1, 0, 2] = -np.inf              # one alignment of sample 0 loses its probability
    lp[:, 1, 1] = -np.inf              # label 1 impossible for sample 1
    x = ag.tensor(lp, requires_grad=True)
    loss = F.ctc_loss(x, [[1, 2], [1, 2]], [4, 4], [2, 2], reduction="none")
    brute = np_ctc_brute(np.where(np.isinf(lp), -1e300, lp)[:, :1], np.array([[1, 2]]), [4],
                         [2])
    np.testing.assert_allclose(loss.data[0], brute[0], rtol=1e-12)
    assert loss.data[1] == math.inf
    F.ctc_loss(x, [[1, 2], [1, 2]], [4, 4], [2, 2], reduction="none",
               zero_infinity=True).sum().backward()
    assert x.grad.data[1, 0, 2] == 0 and np.isfinite(x.grad.data).all()


def test_ctc_gradient_is_that_of_the_log_probs_and_twice_differentiable():
    lp = _log_probs(4, 2, 3) + 0.3     # (not normalized: the gradient is still exact)
    labels, il, tl = [[1, 2], [2, 2]], [4, 4], [2, 2]

    def fn(x):
        return F.ctc_loss(x, labels, il, tl, reduction="sum")
    assert ag.gradcheck(fn, (ag.tensor(lp, requires_grad=True),))
    assert ag.gradgradcheck(fn, (ag.tensor(lp, requires_grad=True),))
    # frames past an input's length get no gradient
    x = ag.tensor(lp, requires_grad=True)
    F.ctc_loss(x, labels, [4, 2], [2, 1]).backward()
    assert (x.grad.data[2:, 1] == 0).all() and (x.grad.data[:2, 1] != 0).any()


def test_ctc_gradient_is_minus_the_label_posteriors():
    # d loss / d lp[t, c] = -P(path emits c at t | target): each frame's sums to -1
    x = ag.tensor(_log_probs(5, 2, 4), requires_grad=True)
    F.ctc_loss(x, [[1, 3, 3], [2, 0, 0]], [5, 3], [3, 1], reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data[:, 0].sum(-1), -np.ones(5), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data[:3, 1].sum(-1), -np.ones(3), rtol=1e-12)


def test_ctc_float32_keeps_its_dtype():
    lp = ag.tensor(_log_probs(4, 2, 3).astype(np.float32))
    for r in ("none", "mean", "sum"):
        assert F.ctc_loss(lp, [[1], [2]], [4, 3], [1, 1], reduction=r).dtype == np.float32


def test_ctc_loss_module():
    loss = nn.CTCLoss(blank=2, zero_infinity=True)
    assert (loss.blank, loss.reduction, loss.zero_infinity) == (2, "mean", True)
    assert repr(loss) == "CTCLoss()" and loss.state_dict() == {}
    lp = ag.tensor(_log_probs(4, 2, 3))
    np.testing.assert_array_equal(
        loss(lp, [[0, 1], [1, 1]], [4, 2], [2, 2]).data,
        F.ctc_loss(lp, [[0, 1], [1, 1]], [4, 2], [2, 2], blank=2, zero_infinity=True).data)
    with pytest.raises(ValueError, match="reduction"):
        nn.CTCLoss(reduction="batchmean")


# ---- CTC errors (the exception types PyTorch raises, where it checks) ---------------------

LP = _log_probs(4, 2, 3)
CTC_ERRORS = [
    # (exception, message words, our call's args, PyTorch's args or None)
    (RuntimeError, "blank must be in label range", (LP, [[1], [1]], [4, 4], [1, 1], 3), True),
    (RuntimeError, "blank must be in label range", (LP, [[1], [1]], [4, 4], [1, 1], -1), True),
    (RuntimeError, "input_lengths must be of size batch_size", (LP, [[1], [1]], [4], [1, 1]),
     True),
    (RuntimeError, "target_lengths must be of size batch_size",
     (LP, [[1], [1]], [4, 4], [1, 1, 1]), True),
    (RuntimeError, "input_lengths to have value at most 4", (LP, [[1], [1]], [5, 4], [1, 1]),
     True),
    (RuntimeError, "input_lengths to have value at least 0", (LP, [[1], [1]], [-1, 4], [1, 1]),
     True),
    (RuntimeError, "target_lengths to have value at least 0",
     (LP, [[1], [1]], [4, 4], [-1, 1]), True),
    (RuntimeError, r"padded targets of shape \(2, 1\)", (LP, [[1], [1]], [4, 4], [2, 1]), True),
    (RuntimeError, r"padded targets of shape \(3, 1\)", (LP, [[1], [1], [1]], [4, 4], [1, 1]),
     True),
    (RuntimeError, "concatenated targets of size 3", (LP, [1, 1, 2], [4, 4], [1, 1]), True),
    (RuntimeError, "1 or 2 dimensions", (LP, [[[1]], [[1]]], [4, 4], [1, 1]), True),
    (RuntimeError, "must be integral", (LP, [[1], [1]], np.array([4.0, 4.0]), np.array([1, 1])),
     True),
    (RuntimeError, r"log_probs of shape \(T, N, C\)", (LP[None], [[1], [1]], [4, 4], [1, 1]),
     True),
    (RuntimeError, "must not be empty", (LP[:, :, :0], [[1], [1]], [4, 4], [1, 1]), True),
    (NotImplementedError, "floating point", (LP.astype(np.int64), [[1], [1]], [4, 4], [1, 1]),
     True),
    (ValueError, "not a valid value for reduction",
     (LP, [[1], [1]], [4, 4], [1, 1], 0, "batchmean"), True),
    (TypeError, "tuple, list or tensor", (LP, [[1], [1]], 4, [1, 1]), True),
    # (PyTorch reads these without a check: garbage in, garbage out)
    (IndexError, "target label 3 is not a class index", (LP, [[3], [1]], [4, 4], [1, 1]), False),
    (IndexError, "target label -1", (LP, [[-1], [1]], [4, 4], [1, 1]), False),
    (IndexError, r"other than the blank \(0\)", (LP, [[0], [1]], [4, 4], [1, 1]), False),
    (RuntimeError, "integer class indices", (LP, [[1.0], [1.0]], [4, 4], [1, 1]), False),
]


@pytest.mark.parametrize("exc,match,args,torch_raises", CTC_ERRORS,
                         ids=[e[1][:30] for e in CTC_ERRORS])
def test_ctc_errors(exc, match, args, torch_raises):
    lp, targets, il, tl, *rest = args

    def theirs(torch):
        def conv(v):
            return torch.tensor(v) if isinstance(v, np.ndarray) else v
        ti = conv(il) if not isinstance(il, list) else il
        return torch.nn.functional.ctc_loss(torch.tensor(lp), torch.tensor(targets), ti,
                                            conv(tl), *rest)
    if torch_raises:
        assert_raises_like_torch(exc, match, lambda: F.ctc_loss(ag.tensor(lp), targets, il, tl,
                                                                *rest), theirs)
    else:
        with pytest.raises(exc, match=match):
            F.ctc_loss(ag.tensor(lp), targets, il, tl, *rest)


# ---- CTC against PyTorch ------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_matches_pytorch_through_log_softmax(reduction, zero_infinity):
    """Same losses, and the same gradient with respect to the logits of a log_softmax (what
    training uses), for repeats, empty targets, short inputs and an impossible sample."""
    torch = _torch()
    logits = RNG.standard_normal((6, 5, 4))
    labels = np.array([[1, 1, 2], [3, 0, 0], [2, 3, 1], [1, 2, 2], [3, 3, 3]])
    il, tl = [6, 5, 3, 2, 6], [3, 1, 0, 3, 3]          # sample 3: 2 frames for 3 labels
    u = RNG.standard_normal(5 if reduction == "none" else ())
    x = ag.tensor(logits, requires_grad=True)
    out = F.ctc_loss(F.log_softmax(x, 2), labels, il, tl, reduction=reduction,
                     zero_infinity=zero_infinity)
    (out * ag.tensor(u)).sum().backward()
    tx = torch.tensor(logits, requires_grad=True)
    tout = torch.nn.functional.ctc_loss(tx.log_softmax(2), torch.tensor(labels),
                                        torch.tensor(il), torch.tensor(tl),
                                        reduction=reduction, zero_infinity=zero_infinity)
    (tx_grad,) = torch.autograd.grad((tout * torch.tensor(u)).sum(), tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.data, tx_grad.numpy(), rtol=1e-9, atol=1e-12)


def test_ctc_gradient_differs_from_pytorchs_by_the_probabilities():
    """PyTorch's gradient with respect to log_probs adds exp(log_probs) on each input's
    frames (it assumes a log_softmax in front, pytorch/pytorch#52241); ours is the
    derivative, so the two agree after a log_softmax but not before."""
    torch = _torch()
    lp = _log_probs(5, 2, 4, seed=3)
    labels, il, tl = [[1, 2], [3, 3]], [5, 4], [2, 2]
    x = ag.tensor(lp, requires_grad=True)
    F.ctc_loss(x, labels, il, tl, reduction="sum").backward()
    tx = torch.tensor(lp, requires_grad=True)
    torch.nn.functional.ctc_loss(tx, torch.tensor(labels), il, tl, reduction="sum").backward()
    on_frames = (np.arange(5)[:, None] < np.array(il))[..., None]
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy() - np.exp(lp) * on_frames,
                               rtol=1e-9, atol=1e-12)


def test_ctc_matches_pytorch_in_float32_with_long_inputs_and_blank_last():
    torch = _torch()
    logits = (RNG.standard_normal((40, 3, 6)) * 8).astype(np.float32)
    labels = RNG.integers(0, 5, (3, 8))
    il, tl = np.array([40, 31, 17]), np.array([8, 5, 8])
    lp = F.log_softmax(ag.tensor(logits), 2)
    tlp = torch.tensor(logits).log_softmax(2)
    for targets, ttargets in ((labels, torch.tensor(labels, dtype=torch.int32)),
                              (np.concatenate([labels[i, :tl[i]] for i in range(3)]), None)):
        out = F.ctc_loss(lp, targets, il, tl, blank=5, reduction="none")
        tout = torch.nn.functional.ctc_loss(
            tlp, torch.tensor(targets) if ttargets is None else ttargets, torch.tensor(il),
            torch.tensor(tl), blank=5, reduction="none")
        np.testing.assert_allclose(out.data, tout.numpy(), rtol=2e-5)


def test_ctc_matches_pytorch_unbatched_and_with_zero_probabilities():
    torch = _torch()
    lp = _log_probs(5, 1, 3, seed=5)[:, 0]
    lp[2, 1] = -np.inf
    for r in ("none", "mean", "sum"):
        out = F.ctc_loss(ag.tensor(lp), [1, 2], [5], [2], reduction=r)
        tout = torch.nn.functional.ctc_loss(torch.tensor(lp), torch.tensor([1, 2]), (5,), (2,),
                                            reduction=r)
        assert out.shape == tuple(tout.shape)
        np.testing.assert_allclose(out.data, tout.numpy(), rtol=1e-12)


# ---- EmbeddingBag without PyTorch ---------------------------------------------------------

IDX = np.array([1, 2, 4, 5, 4, 3, 2, 0, 1])
OFF = np.array([0, 2, 2, 5])     # bags [1, 2], [], [4, 5, 4], [3, 2, 0, 1]
TABLE = RNG.standard_normal((6, 3))


def test_embedding_bag_sum_is_embedding_plus_manual_sums():
    w = ag.tensor(TABLE, requires_grad=True)
    got = F.embedding_bag(IDX, w, OFF, mode="sum")
    rows = F.embedding(IDX, w).data
    want = [rows[0:2].sum(0), np.zeros(3), rows[2:5].sum(0), rows[5:].sum(0)]
    np.testing.assert_allclose(got.data, want, rtol=1e-12)
    u = RNG.standard_normal(got.shape)
    (got * ag.tensor(u)).sum().backward()
    bag_of = np.repeat(np.arange(4), [2, 0, 3, 4])
    want_grad = np.zeros_like(TABLE)
    np.add.at(want_grad, IDX, u[bag_of])
    np.testing.assert_allclose(w.grad.data, want_grad, rtol=1e-12)


def test_embedding_bag_mean_and_max_of_fixed_length_bags():
    idx = np.array([[1, 2, 4], [5, 5, 0]])
    w = ag.tensor(TABLE)
    rows = F.embedding(idx, w)
    np.testing.assert_allclose(F.embedding_bag(idx, w).data, rows.mean(1).data, rtol=1e-12)
    np.testing.assert_array_equal(F.embedding_bag(idx, w, mode="max").data,
                                  ag.amax(rows, 1).data)
    # include_last_offset: the same bags, CSR style
    flat = idx.reshape(-1)
    np.testing.assert_array_equal(
        F.embedding_bag(flat, w, [0, 3, 6], mode="max", include_last_offset=True).data,
        F.embedding_bag(idx, w, mode="max").data)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_padding_and_empty_bags(mode):
    w = ag.tensor(TABLE, requires_grad=True)
    out = F.embedding_bag(IDX, w, OFF, mode=mode, padding_idx=4)
    np.testing.assert_allclose(out.data, _np_bag(TABLE, IDX, OFF, mode, padding_idx=4),
                               rtol=1e-12)
    if mode == "mean":   # the padding entries are not counted: bag [4, 5, 4] is row 5
        np.testing.assert_array_equal(out.data[2], TABLE[5])
    np.testing.assert_array_equal(out.data[1], 0)
    out.sum().backward()
    assert (w.grad.data[4] == 0).all()
    # all-padding and empty bags give zeros and no gradient
    w.grad = None
    out = F.embedding_bag(np.array([[4, 4], [1, 3]]), w, mode=mode, padding_idx=4)
    np.testing.assert_array_equal(out.data[0], 0)
    out.sum().backward()
    assert (w.grad.data[[0, 2, 4, 5]] == 0).all()
    assert F.embedding_bag(np.zeros((0, 2), np.int64), w, mode=mode).shape == (0, 3)
    assert F.embedding_bag(np.zeros((3, 0), np.int64), w, mode=mode).data.tolist() == [[0] * 3] * 3
    empty = F.embedding_bag(np.zeros(0, np.int64), w, [0, 0], mode=mode)
    np.testing.assert_array_equal(empty.data, np.zeros((2, 3)))


def test_embedding_bag_per_sample_weights_and_their_gradient():
    w = ag.tensor(TABLE, requires_grad=True)
    psw = ag.tensor(RNG.standard_normal(IDX.size), requires_grad=True)
    out = F.embedding_bag(IDX, w, OFF, mode="sum", per_sample_weights=psw)
    np.testing.assert_allclose(out.data, _np_bag(TABLE, IDX, OFF, "sum", psw.data), rtol=1e-12)
    u = RNG.standard_normal(out.shape)
    (out * ag.tensor(u)).sum().backward()
    bag_of = np.repeat(np.arange(4), [2, 0, 3, 4])
    # d out_b / d psw_i = <u_b, W[idx_i]> for entry i of bag b
    np.testing.assert_allclose(psw.grad.data, (u[bag_of] * TABLE[IDX]).sum(1), rtol=1e-12)
    assert ag.gradgradcheck(
        lambda w_, p_: F.embedding_bag(IDX, w_, OFF, mode="sum", per_sample_weights=p_) ** 2,
        (ag.tensor(TABLE, requires_grad=True), ag.tensor(psw.data, requires_grad=True)))


def test_embedding_bag_max_gradient_goes_to_the_first_tied_row():
    table = np.array([[1.0, 2.0, 3.0], [1.0, 5.0, 0.0], [0.0, 5.0, 3.0], [4.0, 4.0, 4.0]])
    w = ag.tensor(table, requires_grad=True)
    out = F.embedding_bag(np.array([0, 1, 2, 3, 3]), w, [0, 3], mode="max")
    np.testing.assert_array_equal(out.data, [[1, 5, 3], [4, 4, 4]])
    out.sum().backward()
    # ties in bag 0: column 0 rows 0 and 1, column 1 rows 1 and 2, column 2 rows 0 and 2;
    # row 3 twice in bag 1: one gradient, not two
    np.testing.assert_array_equal(w.grad.data, [[1, 0, 1], [0, 1, 0], [0, 0, 0], [1, 1, 1]])
    nan = ag.tensor(np.array([[np.nan, 0.0], [1.0, 2.0]]))
    np.testing.assert_array_equal(F.embedding_bag(np.array([[0, 1]]), nan, mode="max").data,
                                  [[np.nan, 2.0]])


def test_embedding_bag_scale_grad_by_freq_divides_by_the_index_count():
    # (by the count in the whole input, as F.embedding; pytorch/pytorch#190063: PyTorch
    # 2.13's CPU kernel divides row 2 here by row 1's count)
    w = ag.tensor(TABLE, requires_grad=True)
    F.embedding_bag(np.array([1, 1, 2, 0, 1]), w, [0, 3], mode="sum",
                    scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(w.grad.data[:3, 0], [1.0, 1.0, 1.0])
    w.grad = None
    F.embedding_bag(np.array([1, 1, 2, 0, 1]), w, [0, 3], mode="mean",
                    scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(w.grad.data[:3, 0], [1 / 2, (2 / 3 + 1 / 2) / 3, 1 / 3])


def test_embedding_bag_max_norm_renormalizes_every_looked_up_row():
    table = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [0.0, 5.0]])
    w = ag.tensor(table.copy())
    F.embedding_bag(np.array([0, 1, 2]), w, [0], max_norm=1.0, padding_idx=2)
    norms = np.linalg.norm(table, axis=1, keepdims=True)
    want = table * np.where(norms > 1.0, 1.0 / (norms + 1e-7), 1.0)
    want[3] = table[3]           # not looked up; the padding row 2 is renormalized too
    np.testing.assert_allclose(w.data, want, rtol=1e-12)


def test_embedding_bag_module():
    ag.manual_seed(0)
    bag = nn.EmbeddingBag(200, 50, mode="sum", padding_idx=3)
    assert [(k, tuple(v.shape)) for k, v in bag.state_dict().items()] == [("weight", (200, 50))]
    w = bag.weight.data
    assert (w[3] == 0).all() and abs(w.std() - 1) < 0.05 and abs(w.mean()) < 0.05
    out = bag(IDX, OFF, ag.tensor(np.ones(IDX.size, np.float32)))
    np.testing.assert_allclose(out.data, F.embedding_bag(IDX, bag.weight, OFF, mode="sum",
                                                         padding_idx=3).data, rtol=1e-6)
    assert repr(bag) == "EmbeddingBag(200, 50, mode='sum', padding_idx=3)"
    assert repr(nn.EmbeddingBag(5, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True,
                                mode="max", include_last_offset=True)) == (
        "EmbeddingBag(5, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, mode='max')")
    assert not isinstance(bag, nn.Embedding)
    pre = nn.EmbeddingBag.from_pretrained(ag.tensor(TABLE), mode="max")
    assert not pre.weight.requires_grad and pre.mode == "max"
    np.testing.assert_array_equal(pre.weight.data, TABLE)
    assert nn.EmbeddingBag.from_pretrained(ag.tensor(TABLE), freeze=False).weight.requires_grad
    assert nn.Embedding.from_pretrained(ag.tensor(TABLE), padding_idx=1).padding_idx == 1
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        nn.EmbeddingBag(5, 3, mode="min")
    with pytest.raises(ValueError, match=r"_weight of shape \(4, 3\)"):
        nn.EmbeddingBag(5, 3, _weight=ag.zeros((4, 3)))
    with pytest.raises(NotImplementedError, match="EmbeddingBag: sparse=True"):
        nn.EmbeddingBag(5, 3, sparse=True)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.EmbeddingBag(5, 3, padding_idx=5)


W32 = ag.tensor(TABLE.astype(np.float32))
ONES8, ONES9 = np.ones(8, np.float32), np.ones(9, np.float32)
BAG_ERRORS = [
    # (exception, message words, call(embedding_bag, array -> tensor))
    (ValueError, "offsets has to be None", lambda f, t: f(t(IDX.reshape(3, 3)), W32, t(OFF))),
    (ValueError, "offsets has to be a 1D", lambda f, t: f(t(IDX), W32)),
    (ValueError, "offsets has to be a 1D", lambda f, t: f(t(IDX), W32, t(OFF[None]))),
    (ValueError, "input has to be 1D or 2D", lambda f, t: f(t(IDX[None, None]), W32)),
    (ValueError, "weight has to be a 2D", lambda f, t: f(t(IDX), W32[0], t(OFF))),
    (ValueError, "mode has to be one of sum, mean or max",
     lambda f, t: f(t(IDX), W32, t(OFF), mode="min")),
    (NotImplementedError, "only supported for mode='sum'",
     lambda f, t: f(t(IDX), W32, t(OFF), mode="mean", per_sample_weights=t(ONES9))),
    (ValueError, "must have the input's shape",
     lambda f, t: f(t(IDX), W32, t(OFF), mode="sum", per_sample_weights=t(ONES8))),
    (RuntimeError, "per_sample_weights dtype float64",
     lambda f, t: f(t(IDX), W32, t(OFF), mode="sum", per_sample_weights=t(np.ones(9)))),
    (ValueError, "does not support scaling the gradient",
     lambda f, t: f(t(IDX), W32, t(OFF), mode="max", scale_grad_by_freq=True)),
    (RuntimeError, "offsets\\[0\\] has to be 0", lambda f, t: f(t(IDX), W32, t(OFF + 1))),
    (RuntimeError, "can not be greater than input's length 9",
     lambda f, t: f(t(IDX), W32, t(np.array([0, 10])))),
    (RuntimeError, "found index 6", lambda f, t: f(t(np.array([1, 6])), W32, t(np.array([0])))),
    (RuntimeError, "found index -1", lambda f, t: f(t(np.array([-1, 1])), W32, t(np.array([0])))),
    (RuntimeError, "expected integer", lambda f, t: f(t(IDX * 1.0), W32, t(OFF))),
    (RuntimeError, "expected integer", lambda f, t: f(t(IDX), W32, t(OFF * 1.0))),
    (RuntimeError, "padding_idx must be within the number of embeddings",
     lambda f, t: f(t(IDX), W32, t(OFF), padding_idx=6)),
]


@pytest.mark.parametrize("exc,match,call", BAG_ERRORS, ids=[e[1][:30] for e in BAG_ERRORS])
def test_embedding_bag_errors(exc, match, call):
    def theirs(torch):
        def f(i, weight, *a, **k):
            return torch.nn.functional.embedding_bag(i, torch.tensor(weight.data), *a, **k)
        return call(f, torch.tensor)
    assert_raises_like_torch(exc, match, lambda: call(F.embedding_bag, lambda a: a), theirs)


def test_embedding_bag_refuses_what_pytorch_misreads():
    w = ag.tensor(TABLE)
    with pytest.raises(RuntimeError, match="offsets must be non-decreasing"):
        F.embedding_bag(IDX, w, [0, 3, 2])
    with pytest.raises(RuntimeError, match="offsets\\[-1\\] must be input's length 9"):
        F.embedding_bag(IDX, w, [0, 2, 5], include_last_offset=True)
    with pytest.raises(NotImplementedError, match="sparse=True"):
        F.embedding_bag(IDX, w, OFF, sparse=True)


# ---- EmbeddingBag against PyTorch ---------------------------------------------------------

BAG_OPTIONS = [dict(mode=m, **kw) for m in ("sum", "mean", "max")
               for kw in ({}, {"padding_idx": 4}, {"padding_idx": -1})]


@pytest.mark.parametrize("options", BAG_OPTIONS, ids=str)
def test_embedding_bag_matches_pytorch(options):
    torch = _torch()
    table = TABLE.copy()
    table[1, 0] = table[2, 0]      # a tie across rows
    csr = {"include_last_offset": True}
    for idx, off, extra in ((IDX, OFF, {}), (IDX, np.append(OFF, 9), csr),
                            (IDX[:8].reshape(2, 4), None, {}),
                            (np.array([[4, 4, 5], [5, 5, 5]]), None, {})):
        w, tw = ag.tensor(table, requires_grad=True), torch.tensor(table, requires_grad=True)
        kw = dict(options, **extra)
        out = F.embedding_bag(idx, w, off, **kw)
        tout = torch.nn.functional.embedding_bag(
            torch.tensor(idx), tw, None if off is None else torch.tensor(off), **kw)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
        u = RNG.standard_normal(out.shape)
        (out * ag.tensor(u)).sum().backward()
        (tout * torch.tensor(u)).sum().backward()
        np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_embedding_bag_module_matches_pytorch():
    torch = _torch()
    ours = nn.EmbeddingBag(6, 3, mode="sum", padding_idx=2, max_norm=1.5)
    theirs = torch.nn.EmbeddingBag(6, 3, mode="sum", padding_idx=2, max_norm=1.5)
    theirs.load_state_dict({k: torch.tensor(v.data) for k, v in ours.state_dict().items()})
    assert repr(ours) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    psw = RNG.standard_normal(IDX.size).astype(np.float32)
    p, tp = ag.tensor(psw, requires_grad=True), torch.tensor(psw, requires_grad=True)
    out, tout = ours(IDX, OFF, p), theirs(torch.tensor(IDX), torch.tensor(OFF), tp)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    u = RNG.standard_normal(out.shape).astype(np.float32)
    (out * ag.tensor(u)).sum().backward()
    (tout * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-6)


# ---- Bilinear -----------------------------------------------------------------------------

def test_bilinear_is_x1_a_x2_plus_b_per_output():
    x1, x2 = RNG.standard_normal((2, 4, 3)), RNG.standard_normal((2, 4, 2))
    w, b = RNG.standard_normal((5, 3, 2)), RNG.standard_normal(5)
    got = F.bilinear(ag.tensor(x1), ag.tensor(x2), ag.tensor(w), ag.tensor(b))
    assert got.shape == (2, 4, 5)
    for i, j, o in itertools.product(range(2), range(4), range(5)):
        assert got.data[i, j, o] == pytest.approx(x1[i, j] @ w[o] @ x2[i, j] + b[o], rel=1e-12)
    one = F.bilinear(ag.tensor(x1[0, 0]), ag.tensor(x2[0, 0]), ag.tensor(w))
    np.testing.assert_allclose(one.data, got.data[0, 0] - b, rtol=1e-12)
    assert ag.gradgradcheck(F.bilinear, tuple(ag.tensor(a, requires_grad=True)
                                              for a in (x1[0], x2[0], w, b)))


def test_bilinear_module_layout_init_and_repr():
    ag.manual_seed(0)
    m = nn.Bilinear(16, 3, 40)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        ("weight", (40, 16, 3)), ("bias", (40,))]
    bound = 1 / math.sqrt(16)    # (1/sqrt(in1) for both, whatever in2)
    for p in (m.weight.data, m.bias.data):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.8 * bound
    assert abs(m.weight.data.std() - bound / math.sqrt(3)) < 0.01
    assert repr(m) == "Bilinear(in1_features=16, in2_features=3, out_features=40, bias=True)"
    assert nn.Bilinear(2, 3, 4, bias=False).bias is None
    assert nn.Bilinear(2, 3, 4, dtype=ag.float64).weight.dtype == np.float64
    with pytest.raises(ValueError, match="in1_features must be > 0"):
        nn.Bilinear(0, 3, 4)


BILINEAR_ERRORS = [
    (RuntimeError, "batch dimensions do not match", [(2, 3), (3, 4), (5, 3, 4), (5,)]),
    (RuntimeError, "do not match weight size", [(2, 2), (2, 4), (5, 3, 4), (5,)]),
    (RuntimeError, "do not match weight size", [(2, 3), (2, 5), (5, 3, 4), (5,)]),
    (RuntimeError, "do not match weight size", [(2, 3), (2, 4), (3, 4), (5,)]),
    (RuntimeError, "bias size does not match", [(2, 3), (2, 4), (5, 3, 4), (4,)]),
    (RuntimeError, "bias size does not match", [(2, 3), (2, 4), (5, 3, 4), (1, 5)]),
    (RuntimeError, "input dimensions do not match", [(6, 3), (2, 6, 4), (5, 3, 4), (5,)]),
    (IndexError, "need a feature dimension", [(), (), (5, 3, 4), (5,)]),
]


@pytest.mark.parametrize("exc,match,shapes", BILINEAR_ERRORS)
def test_bilinear_errors(exc, match, shapes):
    arrays = [np.ones(s, np.float32) for s in shapes]
    assert_raises_like_torch(exc, match, lambda: F.bilinear(*map(ag.tensor, arrays)),
                             lambda torch: torch.nn.functional.bilinear(
                                 *map(torch.tensor, arrays)))


def test_bilinear_dtypes_must_agree():
    a = [np.ones(s, np.float32) for s in ((2, 3), (2, 4), (5, 3, 4))]
    assert_raises_like_torch(RuntimeError, "dtype", lambda: F.bilinear(
        ag.tensor(a[0].astype(np.float64)), ag.tensor(a[1]), ag.tensor(a[2])),
        lambda torch: torch.nn.functional.bilinear(torch.tensor(a[0]).double(),
                                                   torch.tensor(a[1]), torch.tensor(a[2])))


@pytest.mark.parametrize("lead", [(), (3,), (2, 3)])
def test_bilinear_matches_pytorch(lead):
    torch = _torch()
    ours = nn.Bilinear(3, 4, 5, dtype=ag.float64)
    theirs = torch.nn.Bilinear(3, 4, 5).double()
    theirs.load_state_dict({k: torch.tensor(v.data) for k, v in ours.state_dict().items()})
    x1, x2 = RNG.standard_normal(lead + (3,)), RNG.standard_normal(lead + (4,))
    a, b = ag.tensor(x1, requires_grad=True), ag.tensor(x2, requires_grad=True)
    ta, tb = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
    out, tout = ours(a, b), theirs(ta, tb)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    u = RNG.standard_normal(out.shape)
    (out * ag.tensor(u)).sum().backward()
    (tout * torch.tensor(u)).sum().backward()
    for mine, their in ((a, ta), (b, tb), (ours.weight, theirs.weight), (ours.bias, theirs.bias)):
        np.testing.assert_allclose(mine.grad.data, their.grad.numpy(), rtol=1e-12, atol=1e-14)


# ---- LocalResponseNorm --------------------------------------------------------------------

def test_local_response_norm_of_constant_channels():
    # all ones, size 3: the middle channels see 3 squares, the edge ones 2 (zero padding),
    # and both divide by size
    x = ag.tensor(np.ones((1, 4, 2)))
    got = F.local_response_norm(x, 3, alpha=0.3, beta=0.5, k=2.0)
    np.testing.assert_allclose(got.data[0, :, 0], [(2 + 0.3 * 2 / 3) ** -0.5]
                               + [(2 + 0.3) ** -0.5] * 2 + [(2 + 0.3 * 2 / 3) ** -0.5])
    # an even size looks one channel further back than ahead: [c - 1, c]
    got = F.local_response_norm(ag.tensor(np.arange(1.0, 4.0).reshape(1, 3, 1)), 2, 1.0, 1.0, 0.0)
    np.testing.assert_allclose(got.data.ravel(), [1 / 0.5, 2 / 2.5, 3 / 6.5])
    empty = ag.tensor(np.ones((0, 3, 2)))
    assert F.local_response_norm(empty, 2) is empty


@pytest.mark.parametrize("shape,size", [((2, 5, 3), 3), ((1, 4, 2, 3), 5), ((2, 3, 2, 2, 2), 12),
                                        ((2, 6, 3), 1)])
def test_local_response_norm_matches_its_definition_and_pytorch(shape, size):
    x = RNG.standard_normal(shape)
    t = ag.tensor(x, requires_grad=True)
    out = nn.LocalResponseNorm(size, 0.3, 0.6, 1.5)(t)
    np.testing.assert_allclose(out.data, _np_lrn(x, size, 0.3, 0.6, 1.5), rtol=1e-12)
    try:
        import torch
    except ImportError:
        return
    tt = torch.tensor(x, requires_grad=True)
    tout = torch.nn.LocalResponseNorm(size, 0.3, 0.6, 1.5)(tt)
    u = RNG.standard_normal(shape)
    (out * ag.tensor(u)).sum().backward()
    (tout * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(t.grad.data, tt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_local_response_norm_module_and_errors():
    assert repr(nn.LocalResponseNorm(3)) == "LocalResponseNorm(3, alpha=0.0001, beta=0.75, k=1.0)"
    assert repr(nn.LocalResponseNorm(2, 1e-3, 0.5, 2)) == \
        "LocalResponseNorm(2, alpha=0.001, beta=0.5, k=2)"
    x = np.ones((2, 3, 4), np.float32)
    assert_raises_like_torch(ValueError, "3D or higher", lambda: F.local_response_norm(
        ag.tensor(x[0]), 2), lambda torch: torch.nn.functional.local_response_norm(
        torch.tensor(x[0]), 2))
    assert_raises_like_torch(RuntimeError, "greater than zero", lambda: F.local_response_norm(
        ag.tensor(x), 0), lambda torch: torch.nn.functional.local_response_norm(
        torch.tensor(x), 0))
    assert_raises_like_torch(TypeError, "size must be an int", lambda: F.local_response_norm(
        ag.tensor(x), 2.5), lambda torch: torch.nn.functional.local_response_norm(
        torch.tensor(x), 2.5))
    assert F.local_response_norm(ag.tensor(np.ones((1, 2, 2), np.int64)), 2).dtype == np.float32
