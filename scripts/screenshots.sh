#!/usr/bin/env bash
# Takes PNG screenshots of the real explorer: runs the release binary in tmux on the
# bundled example, sends keys, captures each screen with colors (capture-pane -e),
# converts it to HTML with aha and renders it with headless Chromium.
# Needs: tmux, aha, chromium (Debian packages). Usage: scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN="$PWD/target/release/agtrace"
OUT="$PWD/screenshots"
WORK="$(mktemp -d)"
SOCK="agtrace-shots-$$"
mkdir -p "$OUT"
t() { tmux -L "$SOCK" "$@"; }
cleanup() { t kill-server >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

t new-session -d -s s -x 132 -y 38 "bash --norc --noprofile"
t set-option -t s status off
t send-keys -t s "export TERM=xterm-256color; clear" Enter
sleep 0.3
t send-keys -t s "$BIN testdata/agent-incident.otlp.json" Enter
sleep 1

shot() { # name
  sleep 0.5
  t capture-pane -t s -e -p | aha --black --title "agtrace" > "$WORK/$1.html"
  sed -i 's|<body|<body style="font-family: DejaVu Sans Mono, monospace; font-size: 13px; line-height: 1.25; margin: 8px"|' "$WORK/$1.html"
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --disable-sync --hide-scrollbars \
    --user-data-dir="$(mktemp -d)" --window-size=1200,700 \
    --screenshot="$OUT/$1.png" "file://$WORK/$1.html" >/dev/null 2>&1
  echo "screenshots/$1.png"
}
keys() { t send-keys -t s "$@"; sleep 0.2; }

shot 1-trace-list
keys e; keys Enter
shot 2-trace-failure
keys g; keys j; keys 2
shot 3-messages
keys e; keys k; keys 3
shot 4-tool-call
keys 5
shot 5-events
keys Escape; keys G; keys v
shot 6-session
keys Escape; keys Escape; keys /; t send-keys -t s -l "kind:llm tokens>2k"; sleep 0.3
shot 7-filter
keys Enter; keys '?'
shot 8-help
keys Escape; keys Escape; keys D
shot 9-slowest-steps
keys Escape; keys '$'
shot 10-stats
keys q
sleep 0.3
# Findings: the planted incidents of testdata/findings.otlp.json.
t send-keys -t s "clear; $BIN testdata/findings.otlp.json testdata/triage.otlp.json" Enter
sleep 1
keys /; t send-keys -t s -l "finding:loop"; sleep 0.3; keys Enter; keys Enter; keys e
shot 11-findings-loop
keys 8
shot 12-transcript
keys q
sleep 0.3
# Hand-off: privacy mode and the incident summary, on the seeded secrets fixture.
t send-keys -t s "clear; $BIN testdata/secrets.otlp.json" Enter
sleep 1
keys p; keys Enter; keys 3
shot 13-privacy-mode
keys x
shot 14-incident-summary
keys Escape; keys q
sleep 0.3
# Two runs compared: d marks the run that worked, d on the one that did not.
t send-keys -t s "clear; $BIN testdata/diff.otlp.json" Enter
sleep 1
keys j; keys d; keys k; keys d
shot 15-compare-runs
keys Escape; keys q
