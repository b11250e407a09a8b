#!/bin/bash
# Run the whole test suite in a loop against the current head of a repository, cycling three
# modes, and append one line per run to a log: a flake is a defect, this is how it is found.
#
#   plain       the README's test command, nothing else running from here
#   busy-core   the same with a `while True: pass` loop pinned to CPU 0 (one core taken)
#   background  started by nohup with stdin from /dev/null and SIGINT ignored (as from a
#               script, a CI runner or `nohup`): pytest starts with SIGINT already ignored
#
# Each run clones the repository's head into a fresh temp dir (so work in progress elsewhere
# cannot disturb it), runs `python -m pytest -q -p no:cacheprovider` there with
# PYTHONFAULTHANDLER=1, and keeps the full output beside the log. A run that hangs is stopped
# with SIGABRT after RUN_TIMEOUT seconds, so faulthandler prints every thread's stack.
#
# Usage: scripts/suite_loop.sh [UNTIL_HH:MM_UTC] (default 08:30); start it in the background:
#   nohup scripts/suite_loop.sh 08:30 </dev/null >/dev/null 2>&1 &
# Environment: REPO (/work/main), PY (/work/venv/bin/python), LOG (/work/suite_runs.log),
#   OUTDIR (/work/suite_runs), RUN_TIMEOUT (2400).
set -u
UNTIL=${1:-08:30}
REPO=${REPO:-/work/main}
PY=${PY:-/work/venv/bin/python}
LOG=${LOG:-/work/suite_runs.log}
OUTDIR=${OUTDIR:-/work/suite_runs}
RUN_TIMEOUT=${RUN_TIMEOUT:-2400}
MODES=(plain busy-core background)
mkdir -p "$OUTDIR"
deadline=$(date -u -d "today $UNTIL" +%s)

run_number=0
while [ "$(date -u +%s)" -lt "$deadline" ]; do
    run_number=$((run_number + 1))
    mode=${MODES[$(( (run_number - 1) % ${#MODES[@]} ))]}
    stamp=$(date -u +%Y%m%dT%H%M%S)
    clone=$(mktemp -d /tmp/loop.XXXXXX)
    git clone -q "$REPO" "$clone/repo" || { echo "$stamp clone of $REPO failed" >>"$LOG"; sleep 60; continue; }
    commit=$(git -C "$clone/repo" rev-parse --short HEAD)
    out="$OUTDIR/$stamp-$mode-$commit.txt"
    command="cd '$clone/repo' && exec env PYTHONFAULTHANDLER=1 timeout -k 30 -s ABRT $RUN_TIMEOUT '$PY' -m pytest -q -p no:cacheprovider"

    hog=""
    if [ "$mode" = busy-core ]; then
        taskset -c 0 "$PY" -c 'while True: pass' &
        hog=$!
    fi
    start=$(date -u +%s)
    if [ "$mode" = background ]; then
        nohup bash -c "trap '' INT; $command" </dev/null >"$out" 2>&1 &
        wait $!
    else
        bash -c "$command" </dev/null >"$out" 2>&1
    fi
    status=$?
    duration=$(( $(date -u +%s) - start ))
    [ -n "$hog" ] && kill "$hog" && wait "$hog" 2>/dev/null

    summary=$(grep -E '^=*.*(passed|failed|error).* in [0-9.]+s' "$out" | tail -1 | sed 's/=//g; s/^ *//; s/ *$//')
    passed=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+'); passed=${passed:-0}
    failed=$(echo "$summary" | grep -oE '[0-9]+ (failed|errors?)' | grep -oE '[0-9]+' | paste -sd+ | bc 2>/dev/null)
    failed=${failed:-0}
    failing=$(grep -E '^(FAILED|ERROR) ' "$out" | awk '{print $2}' | paste -sd' ')
    if [ -z "$summary" ]; then
        # no pytest summary: the process died (signal) or hung (timeout's SIGABRT)
        failing="CRASH(status $status): $(grep -m1 -E 'Fatal Python error|Aborted|Segmentation' "$out" | cut -c1-120)"
    fi
    printf '%s commit=%s mode=%s status=%s passed=%s failed=%s duration=%ss failing=%s\n' \
        "$(date -u +%FT%TZ)" "$commit" "$mode" "$status" "$passed" "$failed" "$duration" \
        "${failing:--}" >>"$LOG"
    rm -rf "$clone"
done
