"""The app's views: one module per view, each a QWidget taking ``(state, parent=None)``."""
