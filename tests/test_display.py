"""``cnnviz`` with no display reachable: one line naming the display, not a Qt abort.

Under Xvfb, an app started while the X server at ``$DISPLAY`` was down (or gone) died with
"Could not load the Qt platform plugin "xcb"", a hint about ``libxcb-cursor0`` (wrong here)
and "Fatal Python error: Aborted".
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

from cnnviz.app.display import X11_PORT, display_problem

REPO = Path(__file__).resolve().parents[1]


def test_no_display_or_nobody_there_is_named():
    assert "DISPLAY is not set" in display_problem({}, "linux")
    unused = display_problem({"DISPLAY": ":987"}, "linux")
    assert unused is not None and "cannot open the display :987" in unused


def test_a_listening_display_and_other_platforms_pass():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        number = server.getsockname()[1] - X11_PORT       # an X server's port is 6000 + N
        assert display_problem({"DISPLAY": f"127.0.0.1:{number}.0"}, "linux") is None
    assert display_problem({"DISPLAY": ":987", "WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"DISPLAY": ":987", "QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None and display_problem({}, "darwin") is None
    assert display_problem({"DISPLAY": "not a display"}, "linux") is None   # Qt decides


def test_the_app_says_it_in_one_line_and_exits_1(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":987", CNNVIZ_SETTINGS_DIR=str(tmp_path / "settings"),
               PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "cnnviz"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stderr.strip().splitlines() == [
        result.stderr.strip()], result.stderr                        # one line
    assert result.stderr.startswith("cnnviz: error: cannot open the display :987")
    assert "Fatal" not in result.stderr and "xcb" not in result.stderr
