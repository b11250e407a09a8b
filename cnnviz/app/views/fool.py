"""Fool the network: a classroom challenge.

The probe digit (draw one on the pad) and a slider for the largest change allowed per pixel.
``explain.fool`` pushes every pixel a little at a time along the sign of the gradient until
the network reads something else (or the chosen target); the view shows the change, the
changed digit and each class's probability step by step. Then the class's challenge: draw a
digit the network misreads. Say which digit you drew and press Check; the score counts the
drawings it got wrong.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, Qt
from PyQt6.QtGui import QTextOption
from PyQt6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox,
                             QVBoxLayout)

from ... import explain
from ..background import BackgroundJob
from ..class_colours import CLASS_COLOURS
from ..image_panel import DIVERGING_CMAP, GREY_CMAP, ImagePanel
from ..label_fit import fit_label, keep_layout_in_view, text_fits
from ..live_view import LiveView
from ..state import AppState

ANY = "any other class"
COALESCE_MS = 150


# titles, longest first: one line, then two (what the picture is over what it shows), so a
# narrow view (the 1280x720 dock, ~480 px) still says what each picture is: the short
# one-line titles it fell back to ("7 (100%)", "≤ 0.21", "P(class)") did not
PLOT_TITLES = ["probability of each class, step by step", "probability of each class<br>"
               "step by step", "probability<br>of each class"]
# the view's width each image panel and the plot get (column stretch 1, 1, 1, 2): a title is
# fitted to its share, or its text's width squeezed the plot off the right edge at 1280x720
PANEL_SHARE, PLOT_SHARE = 0.2, 0.4


def result_titles(reading: str, size: float, changed: str) -> dict[str, list[str]]:
    """Each image panel's titles, longest first: ``reading`` is the digit's class and
    probability ("7 (100%)"), ``size`` the largest change made, ``changed`` the changed
    digit's reading."""
    return {"original": [f"the digit: reads {reading}", f"the digit<br>reads {reading}",
                         f"the digit<br>{reading}"],
            "change": [f"the change: at most {size:.2f} a pixel",
                       f"the change<br>at most {size:.2f} a pixel",
                       f"the change<br>≤ {size:.2f} a pixel", f"the change<br>≤ {size:.2f}"],
            "changed": [f"changed digit: reads {changed}", f"changed digit<br>reads {changed}",
                        f"changed<br>reads {changed}", f"changed<br>{changed}"]}


def lines(text: str) -> int:
    return text.count("<br>") + 1


def centre_lines(label) -> None:
    """Centre each line of ``label``'s (a ``pg.LabelItem``) text under the others (after
    each new text: the lines centre in the width of the widest)."""
    item = label.item
    item.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
    item.setTextWidth(-1)
    item.setTextWidth(item.document().idealWidth())


class FoolView(LiveView):
    """The probe changed, pixel by pixel, until the network misreads it (a ``LiveView``:
    the search runs in the background, for the newest probe, weights and settings)."""

    coalesce_ms = COALESCE_MS       # a slider drag starts one search, not one per step

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(state, parent)
        self.result: explain.Fooled | None = None
        self.tries = 0
        self.fooled = 0
        self._generation = 0
        self.job = BackgroundJob(self)
        self.job.finished.connect(self._on_result)
        self.job.failed.connect(lambda _tag, message: self.summary.setText(message))
        self._build()
        state.traceChanged.connect(self.schedule)
        state.modelChanged.connect(self._fill_classes)
        self._fill_classes()

    def _build(self) -> None:
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(1, 50)            # hundredths of the pixel range
        self.slider.setValue(30)
        self.slider.setToolTip("The most any pixel may change (ink is 0..1)")
        self.slider_label = QLabel()
        self.slider.valueChanged.connect(self._on_slider)
        self.target_box = QComboBox()
        self.target_box.setToolTip("Make it read any other class, or one you choose")
        self.target_box.activated.connect(lambda _i: self.schedule())
        top = QHBoxLayout()
        top.addWidget(QLabel("Allowed change"))
        top.addWidget(self.slider, 1)
        top.addWidget(self.slider_label)
        top.addWidget(QLabel("towards"))
        top.addWidget(self.target_box)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("k")
        keep_layout_in_view(self.graphics)     # fitted titles: the layout shrinks back
        g = self.graphics.ci
        self.panels = {
            "original": ImagePanel("the digit", GREY_CMAP),
            "change": ImagePanel("the change", DIVERGING_CMAP),
            "changed": ImagePanel("changed digit", GREY_CMAP),
        }
        self._titles = {key: [panel.title.text] for key, panel in self.panels.items()}
        for col, panel in enumerate(self.panels.values()):
            g.addItem(panel.layout, row=0, col=col)
            g.layout.setColumnStretchFactor(col, 1)
        self.prob_plot = g.addPlot(row=0, col=3, title=PLOT_TITLES[0])
        # in the pictures' title size: pyqtgraph's larger default took a narrow plot's height
        self.prob_plot.titleLabel.setText(PLOT_TITLES[0], size="9pt")
        self.prob_plot.setMenuEnabled(False)
        self.prob_plot.setMouseEnabled(x=False, y=False)
        self.prob_plot.hideButtons()
        self.prob_plot.setYRange(0, 1, padding=0.02)
        self.prob_plot.setLabel("bottom", "step")
        self.curves = [self.prob_plot.plot(pen=pg.mkPen(CLASS_COLOURS[c], width=2), name=str(c))
                       for c in range(10)]
        # the legend names the two curves that tell the story (the digit's class falling, the
        # new one rising): ten rows did not fit a plot a few lines high
        self.legend = self.prob_plot.addLegend(offset=(-5, 5), labelTextColor=(230, 230, 230))
        g.layout.setColumnStretchFactor(3, 2)
        self.summary = QLabel(" ")
        self.summary.setWordWrap(True)

        self.drew_box = QSpinBox()
        self.drew_box.setRange(0, 9)
        self.drew_box.setToolTip("The digit you meant to draw")
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Did the network read your drawing as you meant it?")
        self.check_button.clicked.connect(self.check_drawing)
        self.score = QLabel()
        challenge = QHBoxLayout()
        prompt = QLabel("Challenge: draw a digit it misreads. I drew a")
        prompt.setWordWrap(True)          # a narrow dock: wraps instead of scrolling sideways
        challenge.addWidget(prompt, 2)
        challenge.addWidget(self.drew_box)
        challenge.addWidget(self.check_button)
        challenge.addWidget(self.score, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.summary)
        layout.addLayout(challenge)
        self._on_slider(self.slider.value())
        self._show_score("")

    def _fill_classes(self) -> None:
        classes = self.state.net.output_shapes()[-1][1][0]
        keep = self.target_box.currentText() or ANY
        items = [ANY] + [str(c) for c in range(classes)]
        self.target_box.clear()
        self.target_box.addItems(items)
        self.target_box.setCurrentText(keep if keep in items else ANY)
        self.schedule()

    # -- computing ----------------------------------------------------------------------------
    @property
    def max_change(self) -> float:
        return self.slider.value() / 100

    @property
    def target(self) -> int | None:
        text = self.target_box.currentText()
        return None if text in ("", ANY) else int(text)

    def set_max_change(self, value: float) -> None:
        self.slider.setValue(int(round(value * 100)))

    def _on_slider(self, value: int) -> None:
        self.slider_label.setText(f"{value / 100:.2f}")
        self.schedule()

    def schedule(self, *_args) -> None:
        """The probe, the weights or a setting changed: search again (see ``LiveView``)."""
        self.schedule_refresh()

    def resizeEvent(self, event) -> None:      # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        # the plot's title no wider than the plot (its 2 of 5 column shares): a long title
        # widened the plot past the view and was cut at the right edge
        self._fit_titles()

    def changeEvent(self, event) -> None:      # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "legend"):
            self._size_legend()

    def _size_legend(self) -> None:
        """The legend's labels follow the view's type (large in presentation mode), sized
        here on every font change and marked so presentation mode leaves them alone: a
        result that arrived while presenting kept its large labels in normal mode, and the
        next entry scaled them again (33 pt)."""
        pt = self.font().pointSizeF()
        size = f"{pt * 1.1:.1f}pt" if pt >= 18 else "9pt"
        self.legend.opts["labelTextSize"] = size
        for _sample, label in self.legend.items:
            label.sized_by_view = True
            label.setText(label.text, size=size)
        self.legend.updateSize()

    def _fit_titles(self) -> None:
        """Each image panel's title (longest first) no wider than the panel's share, the
        plot's no wider than its share less the probability axis. The three pictures'
        titles have one line each if all of them fit so, else two (the pictures stay level)."""
        room = self.width() * PANEL_SHARE - 8
        one_line = all(any(lines(t) == 1 and text_fits(self.panels[key].title, t, room)
                           for t in texts) for key, texts in self._titles.items())
        for key, texts in self._titles.items():
            fit_label(self.panels[key].title,
                      [t for t in texts if (lines(t) == 1) == one_line] or texts, room)
            centre_lines(self.panels[key].title)
        label = self.prob_plot.titleLabel
        fit_label(label, PLOT_TITLES,
                  self.width() * PLOT_SHARE - self.prob_plot.getAxis("left").width() - 8)
        centre_lines(label)
        # the plot keeps its title row at 30 px (pyqtgraph's): as tall as the lines drawn
        height = max(30, math.ceil(label.item.boundingRect().height() * label.item.scale()))
        if label.maximumHeight() != height:
            label.setMaximumHeight(height)
            self.prob_plot.layout.setRowFixedHeight(0, height)

    def refresh(self) -> None:
        self.recompute()

    def recompute(self) -> None:
        """Search the smallest change that fools the network (in the background)."""
        self._generation += 1
        net = explain.detached_copy(self.state.net)
        image, target, limit = self.state.probe_image.copy(), self.target, self.max_change
        self.job.submit(self._generation,
                        lambda: explain.fool(net, image, target=target, max_change=limit))

    def _on_result(self, tag, result: explain.Fooled) -> None:
        if tag != self._generation:
            return
        self.result = r = result
        original = r.images[0]
        self.panels["original"].set_image(original, (0.0, 1.0))
        self.panels["change"].set_image(r.change, (-self.max_change, self.max_change))
        self.panels["changed"].set_image(r.image, (0.0, 1.0))
        p0, p1 = r.probabilities[0], r.probabilities[-1]
        before = f"{r.original_class} ({p0[r.original_class]:.0%})"
        after = f"{r.predicted} ({p1[r.predicted]:.0%})"
        self._titles = result_titles(before, r.size, after)
        self._fit_titles()
        self.legend.clear()
        for c in dict.fromkeys((r.original_class, r.predicted)):
            if c < len(self.curves):
                self.legend.addItem(self.curves[c], str(c))
        self._size_legend()
        # anchored again: it was anchored empty, and grew past the plot's right edge
        self.legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-5, 5))
        steps = np.arange(len(r.probabilities))
        for c, curve in enumerate(self.curves):
            curve.setData(steps, r.probabilities[:, c] if c < r.probabilities.shape[1] else [])
        self.prob_plot.setXRange(0, max(1, r.steps), padding=0.02)
        goal = f"reads {r.target}" if r.target is not None else "reads something else"
        if r.success:
            text = (f"Changing no pixel by more than {r.size:.2f} ({r.steps} steps of 0.01) "
                    f"and the network {goal}: {r.original_class} → {r.predicted}.")
        else:
            text = (f"Within a change of {self.max_change:.2f} per pixel the network still reads "
                    f"{r.predicted}: allow more change.")
        self.summary.setText(text)

    # -- the challenge -------------------------------------------------------------------------
    def check_drawing(self) -> None:
        """Score the probe: a point when the network misreads the digit the student drew."""
        meant = self.drew_box.value()
        read = int(np.argmax(self.state.probabilities))
        self.tries += 1
        if read != meant:
            self.fooled += 1
            verdict = f"Fooled it! You drew a {meant}, it reads {read}."
        else:
            verdict = f"It read your {meant} correctly."
        self._show_score(verdict)

    def _show_score(self, verdict: str) -> None:
        self.score.setText(f"{verdict} Score: {self.fooled} of {self.tries}".strip())
