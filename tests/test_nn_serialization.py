"""nn.save / nn.load: round trips, PyTorch interchange, and corrupt files."""
from __future__ import annotations

import pickle
import re

import numpy as np
import pytest

import autograd as ag
import nn


def _model():
    return nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.Linear(5, 3))


def test_round_trip_restores_outputs(tmp_path):
    ag.manual_seed(0)
    src = _model()
    src(ag.randn(8, 4))                       # move the running stats
    path = tmp_path / "model.safetensors"
    nn.save(src.state_dict(), path)
    loaded = nn.load(path)
    assert set(loaded) == set(src.state_dict())
    assert loaded["1.num_batches_tracked"].dtype == np.int64
    assert loaded["1.num_batches_tracked"].shape == () and int(loaded["1.num_batches_tracked"]) == 1
    assert all(not t.requires_grad for t in loaded.values())
    dst = _model()
    dst.load_state_dict(loaded)
    src.eval(), dst.eval()
    x = ag.randn(3, 4)
    np.testing.assert_array_equal(src(x).data, dst(x).data)


def test_dtypes_views_and_metadata(tmp_path):
    path = str(tmp_path / "mixed.safetensors")
    base = np.arange(12, dtype=np.float64).reshape(3, 4)
    sd = {"f64": ag.tensor(base), "view": ag.from_numpy(base.T), "b": np.array([True, False]),
          "i": ag.tensor([1, 2, 3])}
    nn.save(sd, path, metadata={"epoch": 3})
    got = nn.load(path)
    np.testing.assert_array_equal(got["view"].data, base.T)
    assert got["f64"].dtype == np.float64 and got["b"].dtype == np.bool_
    assert got["i"].dtype == np.int64
    with pytest.raises(TypeError, match="nn.save: value for 'x' is a list"):
        nn.save({"x": [1, 2]}, path)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "pickle", "empty"])
def test_corrupt_files_raise_naming_the_path(tmp_path, damage):
    path = tmp_path / "bad.safetensors"
    nn.save(_model().state_dict(), path)
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[: len(raw) - 7], "garbage": b"\x07" * 40,
                      "empty": b"",
                      "pickle": pickle.dumps({"w": np.zeros(3)})}[damage])
    with pytest.raises(ValueError, match=r"nn.load: '.*bad.safetensors' is not a valid "
                                         r"safetensors file"):
        nn.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        nn.load(tmp_path / "nope.safetensors")


def test_files_move_between_us_and_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    ag.manual_seed(1)
    ours = _model()
    ours(ag.randn(6, 4))
    nn.save(ours.state_dict(), tmp_path / "ours.safetensors")
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5),
                                 torch.nn.Linear(5, 3))
    theirs.load_state_dict(st_torch.load_file(str(tmp_path / "ours.safetensors")))
    ours.eval(), theirs.eval()
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(ag.tensor(x)).data,
                               theirs(torch.tensor(x)).detach().numpy(), atol=1e-6)
    # and back: a file written by PyTorch loads into a fresh model of ours
    theirs.train()
    theirs(torch.randn(6, 4))
    st_torch.save_file(theirs.state_dict(), str(tmp_path / "theirs.safetensors"))
    back = _model()
    back.load_state_dict(nn.load(tmp_path / "theirs.safetensors"))
    back.eval(), theirs.eval()
    np.testing.assert_allclose(back(ag.tensor(x)).data,
                               theirs(torch.tensor(x)).detach().numpy(), atol=1e-6)
    assert int(back[1].num_batches_tracked) == 2


def test_load_of_a_float8_file_names_the_tensors(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file
    path = tmp_path / "f8.safetensors"
    save_file({"a": torch.zeros(2, dtype=torch.float8_e4m3fn), "b": torch.zeros(1),
               "c": torch.zeros(2, dtype=torch.bfloat16)}, str(path))
    with pytest.raises(TypeError, match=r"nn.load: '.*f8.safetensors' holds tensors whose "
                                        r"dtype NumPy cannot represent: 'a' \(F8_E4M3\), "
                                        r"'c' \(BF16\); .*float32"):
        nn.load(path)


def _open_error(path, mode):
    try:
        open(path, mode)
    except OSError as e:
        return type(e)
    raise AssertionError(f"open({path!r}, {mode!r}) succeeded")


def test_path_errors_are_what_open_raises(tmp_path):
    sd = {"w": ag.zeros(2)}
    file = tmp_path / "f.safetensors"
    nn.save(sd, file)
    cases = [(nn.load, tmp_path, "rb"), (nn.load, file / "x", "rb"),
             (lambda p: nn.save(sd, p), tmp_path / "nodir" / "x.safetensors", "wb"),
             (lambda p: nn.save(sd, p), tmp_path, "wb"),
             (lambda p: nn.save(sd, p), file / "x", "wb")]
    for fn, path, mode in cases:
        with pytest.raises(_open_error(path, mode),
                           match=r"nn\.(save|load): .*" + re.escape(repr(str(path)))):
            fn(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.safetensors"]   # no temp files left
