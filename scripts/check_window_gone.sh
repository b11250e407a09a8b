#!/bin/bash
# The X window destroyed under a training app (as `xdotool windowclose`, some window managers
# and remote-desktop tools do): the app must save its layout (and a trained model, in
# unsaved-model.npz beside the settings) and exit. Needs xvfb-run, openbox and xdotool:
#   xvfb-run -a -s "-screen 0 1280x720x24" scripts/check_window_gone.sh
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
export CNNVIZ_SETTINGS_DIR=$(mktemp -d)
openbox >/dev/null 2>&1 &
sleep 1
$PY -m cnnviz >"$CNNVIZ_SETTINGS_DIR/app.log" 2>&1 &
APP=$!
for _ in $(seq 60); do
    W=$(xdotool search --name ' - cnnviz$' 2>/dev/null | head -1); [ -n "$W" ] && break; sleep 0.5
done
[ -n "${W:-}" ] || { echo "FAIL: no window"; kill $APP; exit 1; }
sleep 2
xdotool windowactivate --sync "$W"; sleep 0.5
xdotool key space; sleep 1.5          # Start: asks how to start from the pre-trained model...
xdotool key Return; sleep 3           # ...fresh random weights (the default): training runs
xdotool windowclose "$W"
for i in $(seq 20); do
    if ! kill -0 $APP 2>/dev/null; then
        wait $APP; rc=$?
        echo "exited $((i / 2)) s after the window was destroyed, status $rc"
        ls "$CNNVIZ_SETTINGS_DIR"
        exit $rc
    fi
    sleep 0.5
done
echo "FAIL: still running 10 s after its window was destroyed"; kill $APP; exit 1
