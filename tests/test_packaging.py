"""The wheel carries the bundled data and model, and they are found once installed."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")      # no download of the build backend
    subprocess.run(command, check=True, capture_output=True, timeout=240)
    wheels = list(out.glob("cnnviz-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=240)
    return target


def test_the_wheel_holds_the_bundled_digits_and_model(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "cnnviz/resources/mnist/t10k-images-idx3-ubyte.gz" in names
    assert "cnnviz/resources/mnist/t10k-labels-idx1-ubyte.gz" in names
    assert "cnnviz/resources/model/lenet.npz" in names
    assert "cnnviz/cli.py" in names and "cnnviz/nn/network.py" in names
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "cnnviz = cnnviz.entry:run" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_an_installed_wheel_finds_its_own_resources(installed, tmp_path):
    """Run from an unrelated folder with only the installed copy on the path."""
    probe = (
        "import cnnviz, json\n"
        "from cnnviz.resources import resource_path\n"
        "from cnnviz.data import load_bundled\n"
        "from cnnviz.nn import load_checkpoint\n"
        "d = load_bundled()\n"
        "net = load_checkpoint(resource_path('model', 'lenet.npz'))\n"
        "print(json.dumps({'package': cnnviz.__file__, 'mnist': str(resource_path('mnist')),\n"
        "                  'n': [d.n_train, d.n_test], 'params': net.parameter_count}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(installed)
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    import json
    found = json.loads(result.stdout)
    assert Path(found["package"]).resolve().is_relative_to(installed.resolve())
    assert Path(found["mnist"]).resolve().is_relative_to(installed.resolve())
    assert found["n"] == [9000, 1000] and found["params"] == 431_080


def test_the_installed_command_line_runs(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(installed)
    result = subprocess.run([sys.executable, "-m", "cnnviz", "eval", "--json"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"n": 1000' in result.stdout


def test_a_checkout_finds_the_top_level_resources(tmp_path):
    probe = ("from cnnviz.resources import resource_path\n"
             "print(resource_path('model', 'lenet.npz'))")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == REPO / "resources" / "model" / "lenet.npz" and path.is_file()


def test_the_bundled_model_is_what_the_readme_says():
    """Its metadata names the rebuild command, and both READMEs state its real accuracy."""
    import re

    from cnnviz.data import images_to_float, load_bundled
    from cnnviz.nn import load_checkpoint, read_checkpoint_metadata
    from cnnviz.training import evaluate

    path = REPO / "resources" / "model" / "lenet.npz"
    meta = read_checkpoint_metadata(path)
    data = load_bundled()
    result = evaluate(load_checkpoint(path), images_to_float(data.test_images), data.test_labels)
    assert result.accuracy == pytest.approx(meta["held_out_accuracy"])
    assert meta["command"].startswith("cnnviz train") and meta["interrupted"] is False
    stated = f"{result.accuracy * 100:.2f}"
    for readme in (REPO / "README.md", REPO / "resources" / "model" / "README.md"):
        text = readme.read_text()
        assert re.search(rf"\*\*{re.escape(stated)} ?%\*\*", text), (readme, stated)
        assert meta["command"].split(" --progress")[0] in text
