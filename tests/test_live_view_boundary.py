"""Every live view uses the one mechanism, ``cnnviz.app.live_view.LiveView``.

A view that keeps its own dirty flag or checks its own exposure (``is_exposed``,
``visibleRegion``) redraws by rules of its own: hidden views that still work, or skipped
changes that are never caught up. These checks read every file of ``cnnviz/app/views``.
"""

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIEWS = ROOT / "cnnviz" / "app" / "views"
#: names only the base may use: the dirty flag and the exposure test
OWN_BOOKKEEPING = {"_dirty": "its own dirty flag (use schedule_refresh / mark_dirty / dirty)",
                   "is_exposed": "its own exposure check (use schedule_refresh / exposed)",
                   "visibleRegion": "its own exposure check (use schedule_refresh / exposed)"}
# Views being moved onto LiveView may be listed here for a while; each must still keep its own
# bookkeeping (the companion test fails once it is converted, to take it off here).
PENDING: set[str] = set()


def own_bookkeeping(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """``(line, what)`` for every use in ``path`` (or ``source`` as if it were it) of a name
    only ``LiveView`` may use: ``self._dirty``, ``is_exposed(...)``, ``visibleRegion()``."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    found = []
    for node in ast.walk(tree):
        name = node.attr if isinstance(node, ast.Attribute) else \
            node.id if isinstance(node, ast.Name) else None
        if isinstance(node, ast.alias):
            name = node.asname or node.name
        if name in OWN_BOOKKEEPING:
            found.append((getattr(node, "lineno", 0), f"{name}: {OWN_BOOKKEEPING[name]}"))
    return found


def _view_files() -> list[Path]:
    return sorted(VIEWS.rglob("*.py"))


def test_no_view_keeps_its_own_dirty_flag_or_exposure_check():
    files = _view_files()
    assert len(files) > 15
    offenders = {}
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        hits = own_bookkeeping(path)
        if hits and rel not in PENDING:
            offenders[rel] = hits[:3]
    assert not offenders, f"views with live-view bookkeeping of their own: {offenders}"


def test_the_pending_list_only_holds_views_that_still_keep_their_own():
    for rel in sorted(PENDING):
        path = ROOT / rel
        assert path.exists() and own_bookkeeping(path), \
            f"{rel} is gone or uses LiveView now: take it off PENDING"


def test_the_bookkeeping_check_sees_a_view_of_its_own(tmp_path):
    # Control: the step explainer as it was before it moved onto LiveView.
    before = ("from ...state import is_exposed\n"
              "class V(QWidget):\n"
              "    def show_step(self, detail):\n"
              "        if is_exposed(self):\n"
              "            self.refresh()\n"
              "        else:\n"
              "            self._dirty = True\n"
              "    def showEvent(self, event):\n"
              "        if self._dirty and not self.visibleRegion().isEmpty():\n"
              "            self.refresh()\n")
    lines = sorted({line for line, _ in own_bookkeeping(VIEWS / "x.py", before)})
    assert lines == [1, 4, 7, 9]
    after = ("from ...live_view import LiveView\n"
             "class V(LiveView):\n"
             "    def show_step(self, detail):\n"
             "        self.detail = detail\n"
             "        self.refresh_if_exposed()\n"
             "    def _ensure_drawn(self):\n"
             "        if self.dirty and self.exposed:\n"
             "            self.refresh()\n")
    assert own_bookkeeping(VIEWS / "x.py", after) == []


def _widget_classes():
    from PyQt6.QtWidgets import QWidget

    import cnnviz.app.views as views
    for info in pkgutil.walk_packages(views.__path__, views.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and cls.__module__ == module.__name__ \
                    and issubclass(cls, QWidget):
                yield module.__name__, name, cls


def test_every_view_that_refreshes_is_a_live_view(qapp):     # (pytest-qt's QApplication)
    from cnnviz.app.live_view import LiveRefresh

    pending = {rel[:-3].replace("/", ".") for rel in PENDING}
    classes = list(_widget_classes())
    assert any(name == "SaliencyView" for _, name, _ in classes)
    bad = [f"{module}.{name}" for module, name, cls in classes
           if module not in pending and hasattr(cls, "refresh")
           and not issubclass(cls, LiveRefresh)]
    assert not bad, f"views with a refresh() of their own, not a LiveView: {bad}"
