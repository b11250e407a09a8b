"""The drawing pad (a view): ``view.py`` turns the drawing into the network's input and shows
its reading; ``canvas.py`` is the canvas the strokes are drawn on."""

from .canvas import CANVAS_SIZE, DEFAULT_BRUSH, DrawingCanvas, Stroke
from .view import DrawingPadView

__all__ = ["CANVAS_SIZE", "DEFAULT_BRUSH", "DrawingCanvas", "DrawingPadView", "Stroke"]
