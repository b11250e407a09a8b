"""Checkpoints: round trip, atomic write, and every file that must be refused."""

import json

import numpy as np
import pytest

from cnnviz.nn import (CheckpointError, build_network, load_checkpoint, read_checkpoint_metadata,
                       save_checkpoint)
from cnnviz.nn.checkpoint import FORMAT_VERSION, AssumedArchitectureWarning


class CreatesMarker:
    """Unpickling this calls ``open(marker, "w")``, which creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def saved_arrays(net):
    """The arrays a checkpoint of ``net`` holds, as a plain dict to tamper with."""
    arrays = net.copy_params()
    arrays["__format_version__"] = np.array(FORMAT_VERSION)
    arrays["__config__"] = np.array(json.dumps({"arch": net.arch}))
    return arrays


def assert_refused(path, *words):
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert path.name in message, message
    for word in words:
        assert word.lower() in message.lower(), message
    return message


def test_round_trip_params_config_and_metadata(tmp_path):
    net = build_network(seed=4)
    path = tmp_path / "model.npz"
    net.save(path, metadata={"epochs": 3, "test_accuracy": 0.97})
    loaded = load_checkpoint(path)
    assert list(loaded.params) == list(net.params)
    for name, value in net.params.items():
        np.testing.assert_array_equal(loaded.params[name], value)
        assert loaded.params[name].dtype == np.float32
    assert loaded.config == net.config
    assert read_checkpoint_metadata(path) == {"epochs": 3, "test_accuracy": 0.97}
    x = np.random.default_rng(0).random((2, 1, 28, 28)).astype(np.float32)
    np.testing.assert_array_equal(loaded.forward(x), net.forward(x))


def test_round_trip_restores_sigmoid_seed_preset(tmp_path):
    net = build_network("seed", seed=3)
    path = tmp_path / "seed.npz"
    save_checkpoint(net, path)
    loaded = load_checkpoint(path)
    assert loaded.arch.endswith("fc500 sigmoid fc10")
    assert loaded.config == net.config
    assert "sigmoid3" in [name for name, _ in loaded.layers]
    x = np.random.default_rng(1).random((2, 1, 28, 28)).astype(np.float32)
    np.testing.assert_array_equal(loaded.forward(x), net.forward(x))
    assert read_checkpoint_metadata(path) == {}


def test_plain_state_dict_without_config_loads(tmp_path):
    net = build_network(seed=9)
    path = tmp_path / "from_torch.npz"
    np.savez(path, **net.copy_params())
    with pytest.warns(AssumedArchitectureWarning, match="assumed 'conv20x5 relu maxpool"):
        loaded = load_checkpoint(path)
    for name, value in net.params.items():
        np.testing.assert_array_equal(loaded.params[name], value)
    assert loaded.arch == net.arch


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "model.npz"
    build_network(seed=1).save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
    before = path.read_bytes()

    def crash_mid_write(file, *args, **kwargs):
        (file.write if hasattr(file, "write") else open(file, "wb").write)(b"PK\x03\x04partial")
        raise OSError("disk full")

    mp = pytest.MonkeyPatch()
    mp.setattr(np, "savez", crash_mid_write)
    try:
        with pytest.raises(OSError, match="disk full"):
            build_network(seed=2).save(path)
    finally:
        mp.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
    assert path.read_bytes() == before          # the old checkpoint survived intact
    load_checkpoint(path)


def test_refuses_missing_file(tmp_path):
    assert_refused(tmp_path / "nothing.npz", "no such file")


def test_refuses_missing_key(tmp_path):
    arrays = saved_arrays(build_network())
    del arrays["fc2.bias"]
    path = tmp_path / "missing.npz"
    np.savez(path, **arrays)
    assert_refused(path, "missing", "fc2.bias")


def test_refuses_wrong_shape(tmp_path):
    arrays = saved_arrays(build_network())
    arrays["conv2.weight"] = arrays["conv2.weight"][:, :, :4, :4]
    path = tmp_path / "shape.npz"
    np.savez(path, **arrays)
    assert_refused(path, "conv2.weight", "shape")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_refuses_non_finite_weights(tmp_path, bad):
    arrays = saved_arrays(build_network())
    arrays["fc1.weight"][7, 3] = bad
    path = tmp_path / "nonfinite.npz"
    np.savez(path, **arrays)
    assert_refused(path, "fc1.weight", "nan")


@pytest.mark.parametrize("content", [
    np.random.default_rng(0).bytes(2000),
    b"conv1.weight,0.1,0.2\nthis is a text file\n",
    b"",
])
def test_refuses_files_that_are_not_npz(tmp_path, content):
    path = tmp_path / "junk.npz"
    path.write_bytes(content)
    message = assert_refused(path, "npz")
    assert "pickle" not in message.lower()     # not blamed on pickled data


def test_refuses_npy_instead_of_npz(tmp_path):
    path = tmp_path / "weights.npy"
    np.save(path, build_network().params["conv1.weight"])
    assert_refused(path, "npz", ".npy")


def test_refuses_pickled_object_array_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    arrays = saved_arrays(build_network())
    payload = np.empty(1, dtype=object)
    payload[0] = CreatesMarker(marker)
    arrays["fc2.bias"] = payload
    path = tmp_path / "evil.npz"
    np.savez(path, **arrays)                   # allow_pickle defaults to True when saving
    assert_refused(path, "pickle")
    assert not marker.exists()
    with pytest.raises(CheckpointError):
        read_checkpoint_metadata(path)
    assert not marker.exists()
    # Control: the payload is real -- loading it the unsafe way does create the marker.
    control = tmp_path / "control"
    payload[0] = CreatesMarker(control)
    np.savez(path, **arrays)
    with np.load(path, allow_pickle=True) as data:
        data["fc2.bias"]
    assert control.exists()


def test_refuses_future_format_version(tmp_path):
    arrays = saved_arrays(build_network())
    arrays["__format_version__"] = np.array(FORMAT_VERSION + 1)
    path = tmp_path / "future.npz"
    np.savez(path, **arrays)
    assert_refused(path, "version", str(FORMAT_VERSION + 1))


def test_refuses_bad_config(tmp_path):
    arrays = saved_arrays(build_network())
    arrays["__config__"] = np.array('{"conv1_channels": 20, "layers": 152}')
    path = tmp_path / "config.npz"
    np.savez(path, **arrays)
    assert_refused(path, "config")


def test_refuses_unexpected_array(tmp_path):
    arrays = saved_arrays(build_network())
    arrays["fc3.weight"] = np.zeros((2, 2), np.float32)
    path = tmp_path / "extra.npz"
    np.savez(path, **arrays)
    assert_refused(path, "fc3.weight")


def test_a_training_recording_is_named_as_such(recording):
    """A ``.cnnrun`` given where a model is expected says what it is and what opens it."""
    with pytest.raises(CheckpointError, match=r"training recording.*cnnviz replay"):
        load_checkpoint(recording)
