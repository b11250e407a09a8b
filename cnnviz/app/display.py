"""Whether the desktop app can reach a display, checked before Qt tries.

Qt ends the process (SIGABRT, "Fatal Python error: Aborted") when its X11 platform plugin
cannot connect, and its message blames a missing ``libxcb-cursor0``: seen with no X server
at ``$DISPLAY``. ``display_problem()`` names the real problem first, so ``cnnviz`` can say it
in one line and exit. Only Linux/BSD with X11 is checked; a Wayland session, an explicit
``QT_QPA_PLATFORM`` or a ``DISPLAY`` this module cannot parse are left to Qt.
"""

from __future__ import annotations

import os
import re
import socket
import sys

X11_PORT = 6000                 # TCP port of display 0 (display N listens on 6000 + N)
CONNECT_TIMEOUT_S = 1.0
_DISPLAY = re.compile(r"^(?P<host>[^:]*):(?P<number>\d+)(\.\d+)?$")


def display_problem(environ=None, platform: str | None = None) -> str | None:
    """None if a display looks reachable (or is not ours to check), else what is wrong."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    if env.get("QT_QPA_PLATFORM") or env.get("WAYLAND_DISPLAY"):
        return None
    display = env.get("DISPLAY", "")
    if not display:
        return ("no display: DISPLAY is not set (start cnnviz in a desktop session; the "
                "command-line tools work without one: cnnviz --help)")
    match = _DISPLAY.match(display)
    if match is None:
        return None
    host, number = match["host"], int(match["number"])
    if _reachable(host, number):
        return None
    return (f"cannot open the display {display}: no X server answers there (is the "
            "desktop session running? the command-line tools work without one: "
            "cnnviz --help)")


def _reachable(host: str, number: int) -> bool:
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        return _connects(socket.AF_UNIX, "\0" + path) or _connects(socket.AF_UNIX, path)
    try:                                # X over TCP (ssh -X forwards localhost:10 ...)
        socket.create_connection((host, X11_PORT + number), CONNECT_TIMEOUT_S).close()
        return True
    except (OSError, ValueError):
        return False


def _connects(family, address) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(CONNECT_TIMEOUT_S)
            sock.connect(address)
        return True
    except (OSError, ValueError):
        return False
