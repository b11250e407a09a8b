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


# -- no literal layer names outside the engine --------------------------------------------------
# Views and explain functions derive layers from ``net.describe()``; a string like "conv1" or
# "pool2" in their code ties them to one architecture. Docstrings may name layers as examples.
import ast  # noqa: E402
import re  # noqa: E402

LAYER_NAME = re.compile(r"\b(?:conv|pool|maxpool|avgpool|relu|sigmoid|tanh|fc|dropout)\d+\b")
CHECKED_ROOTS = ("cnnviz/app", "cnnviz/explain")
# Files being converted to ``describe()`` may be listed here for a while; each must still
# hold a literal name (the companion test fails once it is fixed, to take it off here).
PENDING: set[str] = set()


def _docstring_nodes(tree) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                ids.add(id(first.value))
    return ids


def _is_architecture_text(text: str) -> bool:
    """A preset like "conv8x3p1 relu maxpool fc10" names tokens, not layers."""
    from cnnviz.nn.arch import ArchitectureError, parse_arch
    try:
        parse_arch(text)
    except (ArchitectureError, ValueError):
        return False
    return True


def literal_layer_names(path: Path) -> list[tuple[int, str]]:
    """``(line, string)`` of every string literal in ``path``'s code (not its docstrings,
    f-string parts included) that contains a layer name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstring_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and LAYER_NAME.search(node.value) \
                and not _is_architecture_text(node.value):
            found.append((node.lineno, node.value))
    return found


def _sources() -> list[Path]:
    return sorted(p for root in CHECKED_ROOTS for p in (ROOT / root).rglob("*.py"))


def test_app_and_explain_code_names_no_layer():
    offenders = {}
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if rel in PENDING:
            continue
        hits = literal_layer_names(path)
        if hits:
            offenders[rel] = hits[:3]
    assert not offenders, f"literal layer names (derive them from net.describe()): {offenders}"


def test_the_pending_list_only_holds_files_that_still_name_layers():
    for rel in sorted(PENDING):
        path = ROOT / rel
        assert path.exists() and literal_layer_names(path), \
            f"{rel} is gone or names no layer any more: take it off PENDING"


def test_the_layer_name_check_sees_a_literal_name(tmp_path):
    # Control: the check finds a name in code and in an f-string, not in a docstring or an
    # architecture text.
    sample = tmp_path / "sample.py"
    sample.write_text('"""Explains conv1."""\nA = "conv2"\nB = f"{A} then pool1"\n'
                      'C = "conv8x3p1 relu maxpool fc10"\n')
    assert [line for line, _ in literal_layer_names(sample)] == [2, 3]
