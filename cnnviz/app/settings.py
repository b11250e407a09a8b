"""QSettings helpers: where the app keeps its window layout and small preferences.

Settings are an INI file. Set the environment variable ``CNNVIZ_SETTINGS_DIR`` to keep them in
another folder (tests use a temporary one so they never touch the user's settings).
"""

from __future__ import annotations

import os
from pathlib import Path

from PyQt6.QtCore import QSettings

ORGANIZATION = "cnnviz"
APPLICATION = "cnnviz"
SETTINGS_ENV = "CNNVIZ_SETTINGS_DIR"


def settings_path() -> Path | None:
    """The INI file used when ``CNNVIZ_SETTINGS_DIR`` is set, else None (Qt's default place)."""
    folder = os.environ.get(SETTINGS_ENV)
    return Path(folder) / "cnnviz.ini" if folder else None


def app_settings() -> QSettings:
    """The app's settings object (cheap; make one where needed)."""
    path = settings_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                     ORGANIZATION, APPLICATION)


def read_value(key: str, default=None, type_=None):
    """``settings.value(key)`` with a default and an optional type conversion."""
    settings = app_settings()
    if not settings.contains(key):
        return default
    value = settings.value(key)
    if type_ is bool and isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    try:
        return type_(value) if type_ is not None else value
    except (TypeError, ValueError):
        return default


def write_value(key: str, value) -> None:
    settings = app_settings()
    settings.setValue(key, value)
    settings.sync()
