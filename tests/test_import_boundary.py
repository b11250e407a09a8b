"""The engine, data, training and explain packages must never load Qt (only cnnviz.app may)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import sys
import cnnviz.nn, cnnviz.data, cnnviz.training, cnnviz.explain
import cnnviz.nn.checkpoint, cnnviz.training.trainer, cnnviz.training.evaluate
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PyQt6", "pyqtgraph", "PySide6", "PyQt5"))
print("LOADED:" + ",".join(qt))
"""


def test_engine_data_and_training_do_not_import_qt():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    line = [l for l in result.stdout.splitlines() if l.startswith("LOADED:")]
    assert line == ["LOADED:"], f"Qt loaded by a pure-NumPy package: {line}"


def test_the_probe_would_see_qt():
    # Control: the same probe does report Qt once something imports it.
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    probe = "import PyQt6.QtCore\n" + PROBE
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert "PyQt6.QtCore" in result.stdout, result.stdout + result.stderr
