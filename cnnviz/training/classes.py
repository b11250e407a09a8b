"""Does a network's last layer give as many class scores as the data has classes?

Pure Python. The last ``fc`` of an architecture gives the class scores: ``fc5`` for ten
digits cannot learn five of them, and ``fc11`` trains an eleventh class no digit ever has
(its score is only pushed down), which is as surely a typo. Both are refused with the same
one-line message naming the token, wherever an architecture is chosen for the data (``cnnviz
train --arch``, ``cnnviz compare``, the Architecture editor).
"""

from __future__ import annotations

import numpy as np


def classes_needed(*label_sets) -> int:
    """How many classes the labels need: the largest label + 1 over every set (0 if empty)."""
    return max((int(np.max(labels)) + 1 for labels in label_sets if len(labels)), default=0)


def class_count_problem(scores: int, needed: int, token: str) -> str | None:
    """The message when a last layer ``token`` (e.g. "fc11") giving ``scores`` class scores
    does not fit data of ``needed`` classes; None when it fits (or nothing is known)."""
    if needed < 1 or scores == needed:
        return None
    if scores < needed:
        return (f"the last layer '{token}' gives {scores} class scores, but the labels need "
                f"{needed}: end it with fc{needed}")
    return (f"the last layer '{token}' gives {scores} class scores, but the data has only "
            f"{needed} classes: end it with fc{needed}")


def last_dense_token(layers) -> str:
    """The token of the last fc among ``layers`` (``LayerInfo`` records, in order)."""
    dense = [info for info in layers if info.kind == "dense"]
    if not dense:
        return "the last layer"
    return dense[-1].token or dense[-1].name
