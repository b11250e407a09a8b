"""The process entry of the ``cnnviz`` command, ``python -m cnnviz`` and ``python main.py``.

It does two things before anything else of cnnviz is imported, so that they hold at every
moment of the command's life:

* Ctrl-C exits with code 130 and no traceback: while the modules load, SIGINT exits at once
  (nothing to clean up yet); while a command runs it is the usual ``KeyboardInterrupt``,
  which the commands turn into a clean stop; after the command, it exits at once again.
  If SIGINT was ignored when the process started (``nohup``, ``&`` in a script), it stays
  ignored here.
* Standard output and error never fail on a file name that is not valid UTF-8 (or a
  character the terminal's encoding lacks): see :mod:`cnnviz.cli_output`.

(Only the interpreter's own start-up, before this module runs, is out of reach: a Ctrl-C
in those few milliseconds gets Python's default behaviour.)
"""

import _thread
import sys

try:        # the C module: ready at once, where ``signal`` first imports ``enum`` (~10 ms)
    import _signal as signal
except ImportError:                                      # not CPython
    import signal

EXIT_INTERRUPTED = 130
REDELIVER_AFTER_S = 0.05      # a swallowed Ctrl-C is delivered again this much later


def _exit_quietly(signum, frame):
    raise SystemExit(EXIT_INTERRUPTED)


def _swap_handler(old, new) -> None:
    """Install ``new`` for SIGINT only if ``old`` is the one in place (never an ignored SIGINT)."""
    if signal.getsignal(signal.SIGINT) is old:
        signal.signal(signal.SIGINT, new)


def _redeliver_swallowed_interrupts(unraisable) -> None:
    """``sys.unraisablehook``: a Ctrl-C that landed inside code whose exceptions Python only
    reports (a weakref callback run by the import system, a ``__del__``) is delivered again,
    where it can stop the command; anything else is reported as usual. Without this the
    interrupt was printed as "Exception ignored ... KeyboardInterrupt" and the command ran on
    to exit 0 (seen while NumPy was importing)."""
    exc = unraisable.exc_value
    if isinstance(exc, KeyboardInterrupt) or (isinstance(exc, SystemExit)
                                              and exc.code == EXIT_INTERRUPTED):
        # from another thread, a moment later: raised from here it would be swallowed again
        _thread.start_new_thread(_interrupt_main_soon, ())
        return
    sys.__unraisablehook__(unraisable)


def _interrupt_main_soon() -> None:
    import time
    time.sleep(REDELIVER_AFTER_S)
    _thread.interrupt_main()


_swap_handler(signal.default_int_handler, _exit_quietly)
if signal.getsignal(signal.SIGINT) is _exit_quietly:     # not when SIGINT is ignored
    sys.unraisablehook = _redeliver_swallowed_interrupts


def run() -> int:
    """Run the command line (:func:`cnnviz.cli.main`) as a process; returns its exit code."""
    try:
        from cnnviz.cli import main
        from cnnviz.cli_output import make_streams_safe

        make_streams_safe()
        _swap_handler(_exit_quietly, signal.default_int_handler)
        return main()
    except KeyboardInterrupt:
        _swap_handler(signal.default_int_handler, _exit_quietly)
        sys.stderr.write("\ncnnviz: interrupted\n")
        return EXIT_INTERRUPTED
    finally:
        _swap_handler(signal.default_int_handler, _exit_quietly)
