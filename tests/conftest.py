"""Test setup: Qt runs offscreen, before any QApplication exists, on one 1920x1080 screen (the
plugin's default is 800x800, smaller than any classroom screen), and no test reads or writes
the user's real settings (window layout, presentation mode)."""

import json
import os
import tempfile
from pathlib import Path

import pytest

TEST_SCREEN = (1920, 1080)


def offscreen_platform(width: int, height: int) -> str:
    """``QT_QPA_PLATFORM`` for an offscreen screen of ``width`` x ``height`` px at 96 dpi."""
    config = Path(tempfile.gettempdir()) / f"cnnviz-offscreen-{width}x{height}.json"
    if not config.exists():
        tmp = config.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"screens": [{
            "name": "test", "x": 0, "y": 0, "width": width, "height": height,
            "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
        os.replace(tmp, config)
    return f"offscreen:configfile={config}"


os.environ.setdefault("QT_QPA_PLATFORM", offscreen_platform(*TEST_SCREEN))


@pytest.fixture(autouse=True)
def settings_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_SETTINGS_DIR", str(tmp_path / "settings"))
