#!/usr/bin/env bash
# Installs the producer families of tests/producers.rs into venvs under
# target/producers/FAMILY, each from its lock tests/producers/requirements-FAMILY.txt,
# in parallel; a family whose venv already matches its lock is left alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail=0
pids=()
for lock in tests/producers/requirements-*.txt; do
  fam=$(basename "$lock" .txt); fam=${fam#requirements-}
  venv=target/producers/$fam
  stamp=$venv/.lock.sha256
  want=$(sha256sum "$lock" | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    continue
  fi
  (
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$lock" >"$venv.log" 2>&1 \
      && echo "$want" >"$stamp" \
      || { echo "installing the $fam producers failed:"; tail -n 20 "$venv.log"; exit 1; }
  ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
exit $fail
