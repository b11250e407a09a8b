"""Every view of the window, one row each: adding a row adds a view.

A row (``ViewSpec``) drives the window's dock for the view, its entry in the View menu, its
place in the default layout, presentation mode's stage (or the left column beside it), the
Classroom menu and its number key. A view is a class in ``cnnviz.app.views.<module>``
(a module or a package) taking ``(state, parent=None)``; see docs/architecture.md,
"How to add a view".

Default layout: each view is a tab of one ``group``; the groups sit in four places:

    left column: controls over digits          centre: maps over classroom
    right: curves over results

The first row of a group (or the one with ``front=True``) is the tab in front.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

#: the default layout's tab groups, in the order they are placed
GROUPS = ("controls", "digits", "maps", "classroom", "curves", "results")
#: where a view sits in the Classroom menu: the lessons (keys 1..), the views a lesson
#: returns to most (the next keys), what the network has learnt (no key)
CLASSROOM_ROLES = ("lesson", "revisit", "explain")
#: the menus besides View a row may add an action to
MENUS = ("File", "Training")


@dataclass(frozen=True)
class ViewSpec:
    """One view of the window.

    ``name``: the key in ``window.views`` / ``window.docks`` and the dock's object name
    (``<name>Dock``, kept in saved layouts); ``title``: the full title (View and Classroom
    menus); ``short``: the dock's tab title (readable in full); ``module`` / ``cls``: the view
    class, ``cnnviz.app.views.<module>.<cls>`` (a dotted ``module`` is imported as given);
    ``group``: its tab group in the default layout (one of ``GROUPS``); ``front``: the tab in
    front of its group; ``column``: a view of controls in the wide left column (never squeezed
    sideways; beside presentation mode's stage, not on it); ``classroom``: its role in the
    Classroom menu (``CLASSROOM_ROLES``) and ``key`` its number key there (1-9);
    ``menu``: another menu ("Training") with an action that raises it (``action``: its text,
    default "<title>..."; ``shortcut``: its key; ``tip``: its status tip).
    """

    name: str
    title: str
    short: str
    module: str
    cls: str
    group: str
    front: bool = False
    column: bool = False
    classroom: str | None = None
    key: int | None = None
    menu: str | None = None
    action: str | None = None
    shortcut: str | None = None
    tip: str | None = None

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"view {self.name!r}: group {self.group!r} is not one of {GROUPS}")
        if self.classroom is not None and self.classroom not in CLASSROOM_ROLES:
            raise ValueError(f"view {self.name!r}: classroom {self.classroom!r} is not one of "
                             f"{CLASSROOM_ROLES}")
        if self.menu is not None and self.menu not in MENUS:
            raise ValueError(f"view {self.name!r}: menu {self.menu!r} is not one of {MENUS}")
        if self.key is not None and (self.classroom not in ("lesson", "revisit")
                                     or not 1 <= self.key <= 9):
            raise ValueError(f"view {self.name!r}: key {self.key} needs a lesson or revisit "
                             "role and a digit 1-9")

    @property
    def module_path(self) -> str:
        return self.module if "." in self.module else f"cnnviz.app.views.{self.module}"

    def load(self):
        """The view class."""
        return getattr(importlib.import_module(self.module_path), self.cls)


VIEWS: list[ViewSpec] = [
    ViewSpec("controls", "Training controls", "Training", "controls", "ControlsView",
             group="controls", column=True),
    ViewSpec("arch_editor", "Architecture editor", "Architecture", "arch_editor",
             "ArchEditorView", group="controls", menu="Training", shortcut="Ctrl+Shift+A",
             tip="Edit the network's layers, then Apply for fresh weights"),
    ViewSpec("drawing_pad", "Drawing pad", "Drawing pad", "drawing_pad", "DrawingPadView",
             group="digits", column=True),
    ViewSpec("probe_browser", "Probe digit", "Probe digit", "probe_browser", "ProbeBrowser",
             group="digits", column=True),
    ViewSpec("activations", "Activations", "Activations", "activations", "ActivationsView",
             group="maps", classroom="revisit", key=7),
    ViewSpec("loss_curves", "Loss and accuracy", "Loss and accuracy", "loss_curves",
             "LossCurvesView", group="curves", classroom="revisit", key=9),
    ViewSpec("filters", "Filters", "Filters", "filters", "FiltersView", group="results",
             classroom="revisit", key=8),
    ViewSpec("pooling", "Pooling masks", "Pooling", "pooling", "PoolingView", group="maps"),
    ViewSpec("inspector", "Layer inspector", "Inspector", "inspector", "InspectorView",
             group="maps"),
    ViewSpec("compare", "Compare two architectures", "Compare", "compare", "CompareView",
             group="maps", menu="Training", action="&Compare architectures...",
             tip="Train the current architecture and a challenger side by side from the "
             "same seed"),
    ViewSpec("conv_explainer", "Convolution explained", "Convolution", "conv_explainer",
             "ConvExplainerView", group="classroom", classroom="lesson", key=2),
    ViewSpec("step_explainer", "One step, before and after", "One step", "step_explainer",
             "StepExplainerView", group="classroom", classroom="lesson", key=3),
    ViewSpec("saliency", "Saliency", "Saliency", "saliency", "SaliencyView",
             group="classroom", classroom="lesson", key=4),
    ViewSpec("confusion", "Confusion matrix", "Confusion", "confusion", "ConfusionView",
             group="results", classroom="lesson", key=5),
    ViewSpec("preprocess_pipeline", "Preprocessing", "Preprocessing", "preprocess_pipeline",
             "PreprocessPipelineView", group="classroom", front=True, classroom="lesson",
             key=1),
    ViewSpec("timeline", "Watch one digit learn", "Timeline", "timeline", "TimelineView",
             group="results", classroom="lesson", key=6),
    ViewSpec("channel_card", "What does this channel detect?", "Channel", "channel_card",
             "ChannelCardView", group="results", classroom="explain"),
    ViewSpec("grad_cam", "Grad-CAM and guided backprop", "Grad-CAM", "grad_cam",
             "GradCamView", group="classroom", classroom="explain"),
    ViewSpec("embedding", "Embedding of the held-out digits", "Embedding", "embedding",
             "EmbeddingView", group="results", classroom="explain"),
    ViewSpec("fool", "Fool the network", "Fool it", "fool", "FoolView", group="classroom",
             classroom="explain"),
]


def view_spec(name: str, views: list[ViewSpec] | None = None) -> ViewSpec:
    """The row of view ``name``."""
    for spec in VIEWS if views is None else views:
        if spec.name == name:
            return spec
    raise KeyError(f"no view named {name!r}")


def layout_groups(views: list[ViewSpec] | None = None) -> dict[str, tuple[str, ...]]:
    """Group -> its views' names, the tab in front first (``GROUPS`` order, empty ones out)."""
    views = VIEWS if views is None else views
    groups = {}
    for group in GROUPS:
        names = [s.name for s in views if s.group == group]
        fronts = [s.name for s in views if s.group == group and s.front]
        if fronts:
            names.remove(fronts[0])
            names.insert(0, fronts[0])
        if names:
            groups[group] = tuple(names)
    return groups


def column_views(views: list[ViewSpec] | None = None) -> tuple[str, ...]:
    """The views of controls in the wide left column (beside presentation mode's stage)."""
    return tuple(s.name for s in (VIEWS if views is None else views) if s.column)


def classroom_views(role: str, views: list[ViewSpec] | None = None) -> tuple[str, ...]:
    """The views with Classroom role ``role``: by key, then (no key) in row order."""
    rows = [s for s in (VIEWS if views is None else views) if s.classroom == role]
    return tuple(s.name for s in sorted(rows, key=lambda s: (s.key is None, s.key or 0)))


# the registry's answers as the constants the window, presentation mode and tests read
LAYOUT_GROUPS = layout_groups()
WIDE_VIEWS = LEFT_COLUMN = column_views()
CLASSROOM_VIEWS = classroom_views("lesson")           # the Classroom menu, in lesson order
CLASSROOM_KEYS = CLASSROOM_VIEWS + classroom_views("revisit")   # keys 1-9, in this order
EXPLAIN_VIEWS = classroom_views("explain")
