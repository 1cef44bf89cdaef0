#!/usr/bin/env bash
# Installs the producer families of tests/producers.rs, in parallel: Python ones into
# venvs under target/producers/FAMILY from their locks
# tests/producers/requirements-FAMILY.txt, Node ones (tests/producers/FAMILY/ with
# package.json and package-lock.json) with `npm ci` into target/producers/FAMILY.
# A family already installed from the same lock is left alone.
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
for dir in tests/producers/*/; do
  lock=$dir/package-lock.json
  [ -f "$lock" ] || continue
  fam=$(basename "$dir")
  dest=target/producers/$fam
  stamp=$dest/.lock.sha256
  want=$(sha256sum "$lock" | cut -d' ' -f1)
  if [ -d "$dest/node_modules" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    continue
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: the $fam producers are not installed (tests/producers.rs will say so)"
    continue
  fi
  (
    rm -rf "$dest" && mkdir -p "$dest"
    cp "$dir/package.json" "$lock" "$dest/"
    (cd "$dest" && npm ci --silent --no-audit --no-fund) >"$dest.log" 2>&1 \
      && echo "$want" >"$stamp" \
      || { echo "installing the $fam producers failed:"; tail -n 20 "$dest.log"; exit 1; }
  ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
exit $fail
