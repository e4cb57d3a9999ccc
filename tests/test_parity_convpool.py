"""Convolution and pooling: the second PyTorch-parity audit's findings.

Argument checking like PyTorch's int[2] arguments (a one-element sequence is repeated,
a float raises TypeError instead of being truncated, another length RuntimeError),
conv_transpose2d's stride/padding/dilation checks, empty channel or spatial dims, and
the argument types of avg_pool2d and adaptive_avg_pool2d.  Each expected exception
type is PyTorch's; with torch installed a test also checks that against it."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from nn import functional as F

X4 = np.arange(2 * 2 * 5 * 5, dtype=np.float64).reshape(2, 2, 5, 5) / 10
W4 = np.linspace(-1, 1, 2 * 2 * 3 * 3).reshape(2, 2, 3, 3)
X3 = X4[:, :, 0]
W3 = W4[:, :, 0]

# (function name, input, weight or None, keyword arguments, PyTorch's exception type)
BAD_CALLS = [
    ("conv2d", X4, W4, dict(padding=(1.5, 1)), TypeError),
    ("conv2d", X4, W4, dict(stride=(1, 2, 3)), RuntimeError),
    ("conv2d", X4, W4, dict(stride=[]), RuntimeError),
    ("conv2d", X4, W4, dict(groups=1.0), TypeError),
    ("conv2d", np.zeros((2, 2, 0, 4)), W4, dict(padding=2), RuntimeError),
    ("conv1d", X3, W3, dict(stride=(1, 1)), RuntimeError),
    ("conv1d", np.zeros((2, 2, 0)), W3, dict(padding=2), RuntimeError),
    ("conv_transpose2d", X4, W4, dict(stride=0), RuntimeError),
    ("conv_transpose2d", X4, W4, dict(padding=-1), RuntimeError),
    ("conv_transpose2d", X4, W4, dict(dilation=0), RuntimeError),
    ("conv_transpose2d", X4, W4, dict(padding="same"), TypeError),
    ("conv_transpose2d", X4, W4, dict(groups=2.0), TypeError),
    ("conv_transpose2d", np.zeros((1, 2, 0, 3)), W4, dict(), RuntimeError),
    ("conv_transpose2d", np.zeros((1, 2, 3, 4)), W4[:, :, :1, :1], dict(padding=(0, 2)),
     RuntimeError),
    ("max_pool2d", X4, None, dict(kernel_size=(2.5, 2)), TypeError),
    ("max_pool2d", X4, None, dict(kernel_size=(2, 2, 2)), RuntimeError),
    ("max_pool2d", X4, None, dict(kernel_size=2, stride=(1, 2, 3)), RuntimeError),
    ("max_pool2d", np.zeros((2, 3, 0, 4)), None, dict(kernel_size=2, padding=1), RuntimeError),
    ("max_pool2d", np.zeros((2, 0, 4, 4)), None, dict(kernel_size=2), RuntimeError),
    ("max_pool1d", X3, None, dict(kernel_size=(2, 2)), RuntimeError),
    ("max_pool1d", np.zeros((3, 0)), None, dict(kernel_size=2, padding=1), RuntimeError),
    ("max_pool1d", X3, None, dict(kernel_size=2, padding=(1, 1)), RuntimeError),
    ("avg_pool2d", X4, None, dict(kernel_size=(2, 2, 2)), RuntimeError),
    ("avg_pool2d", X4, None, dict(kernel_size=2, divisor_override=1.5), TypeError),
    ("avg_pool2d", np.zeros((3, 4, 0)), None, dict(kernel_size=2, padding=1), RuntimeError),
    ("adaptive_avg_pool2d", X4, None, dict(output_size=None), TypeError),
    ("adaptive_avg_pool2d", X4, None, dict(output_size=(2,)), RuntimeError),
    ("adaptive_avg_pool2d", X4, None, dict(output_size=(2.5, 2)), TypeError),
    ("adaptive_avg_pool2d", X4, None, dict(output_size="ab"), TypeError),
]


def _call(module, name, x, w, kwargs, wrap):
    args = [wrap(x)] + ([] if w is None else [wrap(w)])
    return getattr(module, name)(*args, **kwargs)


@pytest.mark.parametrize("name, x, w, kwargs, exc", BAD_CALLS)
def test_bad_arguments_raise_pytorchs_exception_type_naming_the_op(name, x, w, kwargs, exc):
    with pytest.raises(exc, match=name):
        _call(F, name, x, w, kwargs, ag.tensor)


@pytest.mark.parametrize("name, x, w, kwargs, exc", BAD_CALLS)
def test_bad_arguments_pytorch_raises_the_same_type(name, x, w, kwargs, exc):
    torch = pytest.importorskip("torch")
    with pytest.raises(exc):
        _call(torch.nn.functional, name, x, w, kwargs, torch.tensor)


# (function name, input, weight, keywords with one-element sequences, the int form)
ONE_ELEMENT = [
    ("conv2d", X4, W4, dict(stride=(2,), padding=[1]), dict(stride=2, padding=1)),
    ("conv_transpose2d", X4, W4, dict(stride=(2,), padding=(1,), output_padding=(1,),
                                      dilation=(1,)),
     dict(stride=2, padding=1, output_padding=1, dilation=1)),
    ("max_pool2d", X4, None, dict(kernel_size=(2,), stride=(1,), padding=(1,)),
     dict(kernel_size=2, stride=1, padding=1)),
    ("avg_pool2d", X4, None, dict(kernel_size=(3,), padding=(1,)),
     dict(kernel_size=3, padding=1)),
]


@pytest.mark.parametrize("name, x, w, seq_kwargs, int_kwargs", ONE_ELEMENT)
def test_a_one_element_sequence_means_the_same_for_every_dim(name, x, w, seq_kwargs,
                                                             int_kwargs):
    got = _call(F, name, x, w, seq_kwargs, ag.tensor)
    want = _call(F, name, x, w, int_kwargs, ag.tensor)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.data, want.data)


def test_conv_and_pooling_of_an_empty_batch_keep_working():
    y = F.conv2d(ag.tensor(np.zeros((0, 2, 0, 4))), ag.tensor(W4), padding=2)
    assert y.shape == (0, 2, 2, 6)
    y = F.conv_transpose2d(ag.tensor(np.zeros((0, 2, 3, 3))), ag.tensor(W4))
    assert y.shape == (0, 2, 5, 5)
    x = ag.tensor(np.zeros((0, 3, 4, 4)))
    assert F.max_pool2d(x, 2).shape == (0, 3, 2, 2)
    assert F.avg_pool2d(x, 2, padding=1).shape == (0, 3, 3, 3)
