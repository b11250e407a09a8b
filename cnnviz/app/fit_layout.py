"""Place aspect-locked panels so they use the space they are given (pure Python + NumPy).

An aspect-locked image in a grid cell of the wrong shape leaves black bands around it; a
mosaic of 50 maps in 10 columns is a wide strip that is tiny in a tall cell. ``arrange``
chooses, for a widget of ``width x height`` pixels, one of a few *templates* (rows of panel
keys) and for each panel one of its *options* (e.g. a mosaic's column count), so that

* every row fills the width: the panels of a row share one content height, chosen so their
  widths (``aspect * height + extra``) add up to the row's width;
* if the rows are then taller than the widget, everything scales down uniformly;
* among all choices it keeps the one with the largest sum of ``log(pixels per data pixel)``
  over the panels: no group is sacrificed to make another huge.

A panel's rectangle includes ``title_px`` for a title directly above its content, so titles
sit on their maps. Rectangles are ``(x, y, w, h)`` in pixels.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Option:
    """One way to draw a panel: ``aspect`` = content width / height, ``native_h`` = content
    height in data pixels (to score how large a data pixel comes out), ``extra_w`` = fixed
    pixels beside the content (a colour bar)."""

    value: object
    aspect: float
    native_h: float
    extra_w: float = 0.0


@dataclass(frozen=True)
class Placement:
    value: object
    rect: tuple[float, float, float, float]     # x, y, w, h (title included)
    content_h: float                            # height of the content below the title


def arrange(width: float, height: float, templates: list[list[list[str]]],
            options: dict[str, list[Option]], title_px: float = 16.0, spacing: float = 6.0,
            titled: set[str] | None = None, weights: dict[str, float] | None = None,
            least: dict[str, float] | None = None, must: set[str] | None = None
            ) -> dict[str, Placement]:
    """The best placement of every panel of the best template (see the module docstring).

    ``titled``: the keys that get ``title_px`` above their content (default: all).
    ``weights``: how much a panel's size counts in the score (default 1 each).
    ``least``: pixels per data pixel a key needs at least (maps that stay readable): a
    placement that gives every key that much beats any that does not.
    ``must``: keys of ``least`` that come first: where no placement gives every key its
    least, one that gives these theirs still beats any that does not (a plot whose axis
    labels would overlap, beside maps that can page).
    """
    best = None
    for template in templates:
        found = _best_in_template(width, height, template, options, title_px, spacing, titled,
                                  weights or {}, least or {}, must or set())
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    if best is None:
        return {}
    return best[1]


def arrange_with_title_room(width: float, height: float, templates: list[list[list[str]]],
                            options_for, need: dict[str, float], rounds: int, **arrange_kw
                            ) -> tuple[dict[str, list[Option]], dict[str, Placement]]:
    """``arrange``, then give every panel placed narrower than its title row needs
    (``need[key]`` px: its name, page range, arrows...) the missing width and place all
    again, at most ``rounds`` times. ``options_for(widen)``: the options with ``widen[key]``
    px more beside each panel's content. Returns ``(options, placements)`` of the last round.
    """
    widen: dict[str, float] = {}
    for _ in range(rounds):
        options = options_for(widen)
        placements = arrange(width, height, templates, options, **arrange_kw)
        short = {key: need[key] - place.rect[2] for key, place in placements.items()
                 if place.rect[2] < need[key] - 0.5}
        if not short:
            break
        for key, missing in short.items():
            widen[key] = widen.get(key, 0.0) + missing
    return options, placements


def _best_in_template(width, height, rows, options, title_px, spacing, titled, weights, least,
                      must):
    keys = [k for row in rows for k in row]
    choices = [range(len(options[k])) for k in keys]
    combos = np.array(list(itertools.product(*choices)), dtype=int)      # (M, n_keys)
    if combos.size == 0:
        return None
    aspect = np.stack([np.array([o.aspect for o in options[k]])[combos[:, i]]
                       for i, k in enumerate(keys)], axis=1)              # (M, n_keys)
    native = np.stack([np.array([o.native_h for o in options[k]])[combos[:, i]]
                       for i, k in enumerate(keys)], axis=1)
    extra = np.stack([np.array([o.extra_w for o in options[k]])[combos[:, i]]
                      for i, k in enumerate(keys)], axis=1)
    row_h = []                                                         # (M,) content height
    col = 0
    titles = 0.0
    for row in rows:
        n = len(row)
        sl = slice(col, col + n)
        free = width - spacing * (n - 1) - extra[:, sl].sum(axis=1)
        row_h.append(np.maximum(free, 1.0) / aspect[:, sl].sum(axis=1))
        if titled is None or any(k in titled for k in row):
            titles += title_px
        col += n
    row_h = np.stack(row_h, axis=1)                                     # (M, n_rows)
    available = max(1.0, height - titles - spacing * (len(rows) - 1))
    shrink = np.minimum(1.0, available / row_h.sum(axis=1))              # (M,)
    content = row_h * shrink[:, None]
    per_key = np.concatenate([np.repeat(content[:, [r]], len(row), axis=1)
                              for r, row in enumerate(rows)], axis=1)   # (M, n_keys)
    w = np.array([weights.get(k, 1.0) for k in keys])
    score = (np.log(per_key / native) * w).sum(axis=1)
    need = np.array([least.get(k, 0.0) for k in keys])
    met = per_key / native >= need                                     # (M, n_keys)
    enough = met.all(axis=1)                                           # (M,)
    kept = met[:, [i for i, k in enumerate(keys) if k in must]].all(axis=1)
    if enough.any():
        score = np.where(enough, score, -np.inf)
    elif kept.any():
        score = np.where(kept, score, -np.inf)
    m = int(np.argmax(score))

    placements: dict[str, Placement] = {}
    y = 0.0
    col = 0
    for r, row in enumerate(rows):
        h = float(content[m, r])
        t = title_px if titled is None or any(k in titled for k in row) else 0.0
        widths = [float(aspect[m, col + i] * h + extra[m, col + i]) for i in range(len(row))]
        x = (width - sum(widths) - spacing * (len(row) - 1)) / 2
        for i, key in enumerate(row):
            own_t = t if titled is None or key in titled else 0.0
            opt = options[key][combos[m, col + i]]
            placements[key] = Placement(opt.value, (x, y + t - own_t, widths[i], h + own_t), h)
            x += widths[i] + spacing
        y += t + h + spacing
        col += len(row)
    return (bool(enough[m]), bool(kept[m]), float(score[m])), placements


def row_templates(keys: list[str], max_rows: int = 4) -> list[list[list[str]]]:
    """Every way to cut ``keys`` (in order) into 1..``max_rows`` rows: the templates for
    ``arrange`` when the panels are a network's layers and keep the data-flow order."""
    n = len(keys)
    templates = []
    for rows in range(1, min(n, max_rows) + 1):
        for cuts in itertools.combinations(range(1, n), rows - 1):
            bounds = (0, *cuts, n)
            templates.append([list(keys[a:b]) for a, b in zip(bounds, bounds[1:])])
    return templates


def spread_options(options: list[Option], most: int = 5) -> list[Option]:
    """At most ``most`` of ``options`` (kept in order, evenly spread): fewer combinations for
    ``arrange`` to score when a network has many layers."""
    if len(options) <= most:
        return options
    n = len(options)
    # one or two: from the middle (the ends are the extreme shapes); more: ends included
    spots = np.linspace(0, n - 1, most + 2)[1:-1] if most <= 2 else np.linspace(0, n - 1, most)
    return [options[i] for i in sorted({int(round(x)) for x in spots})]


def within_budget(options: dict[str, list[Option]], templates: int, budget: int = 60_000
                  ) -> dict[str, list[Option]]:
    """``options`` thinned (``spread_options``) so that ``arrange`` scores at most about
    ``budget`` combinations over ``templates`` templates: a network of ten layers would
    otherwise cost ``templates * 5**10`` of them (a minute per resize)."""
    varied = sum(1 for choices in options.values() if len(choices) > 1)
    most = 5
    while most > 1 and templates * most ** varied > budget:
        most -= 1
    return {key: spread_options(choices, most) for key, choices in options.items()}
