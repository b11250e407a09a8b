"""Printing that never fails on a file name.

On Linux a file name is bytes; Python turns the bytes that are not valid UTF-8 into lone
surrogates (``b"\\xff"`` -> ``"\\udcff"``, PEP 383). Printed to a stream whose encoding
cannot hold them (``PYTHONIOENCODING=utf-8:strict``, an ASCII terminal), they raise
``UnicodeEncodeError``: ``predict`` lost its result and ``train`` reported a failure after
saving. :func:`make_streams_safe` makes stdout and stderr write such characters as escapes
instead: ``digit\\xff.png`` for the byte 0xff (what a shell's ``$'...'`` understands), and
``\\u00e9`` style for a character the encoding lacks.
"""

from __future__ import annotations

import codecs
import io
import sys

__all__ = ["ERRORS", "make_streams_safe", "shown"]

#: The codec error handler :func:`make_streams_safe` installs.
ERRORS = "cnnviz.escape"


def _escape(error: UnicodeError):
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(_escaped(ch) for ch in error.object[error.start:error.end]), error.end


def _escaped(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:           # a byte of a file name that was not valid UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


codecs.register_error(ERRORS, _escape)


def make_streams_safe() -> None:
    """Let ``sys.stdout`` and ``sys.stderr`` escape what their encoding cannot write."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) in ("strict", "backslashreplace"):
            try:
                stream.reconfigure(errors=ERRORS)
            except (AttributeError, ValueError, io.UnsupportedOperation):
                pass                     # not a TextIOWrapper: leave it as it is


def shown(text: str) -> str:
    """``text`` with the bytes of a non-UTF-8 file name as ``\\xNN`` escapes, printable anywhere."""
    return text.encode("utf-8", ERRORS).decode("utf-8")
