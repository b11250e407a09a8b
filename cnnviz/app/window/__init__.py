"""The main window's parts, mixed into ``cnnviz.app.main_window.MainWindow``: docks and
layout, menus, training actions, file actions."""
