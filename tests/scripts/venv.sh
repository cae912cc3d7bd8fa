#!/usr/bin/env bash
# Installs a virtualenv exactly as a committed lock file says, and nothing else:
#
#   bash tests/scripts/venv.sh VENV LOCK      # e.g. .venv requirements/moto.txt
#
# The lock (requirements/*.txt, written by `make lock`) pins the whole dependency tree with hashes, so pip installs
# with --require-hashes --no-deps: no resolver, no newer release, no download that differs from the one CI ran.
# The venv records the lock's SHA-256; when the lock changes (an upgrade commit, or a checkout of an older one) the
# venv is removed and made again rather than patched, so nothing from an earlier lock stays behind. A venv that
# matches its lock's hash is left alone (a no-op: make runs this on every `make test`). tests/scripts/pins.py then
# checks what is installed against the lock, so a package installed by hand into the venv is caught as well.
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 VENV LOCK" >&2; exit 2; }
venv=$1
lock=$2
python=${PYTHON:-python3}

[[ -f "$lock" ]] || { echo "venv: no lock file $lock" >&2; exit 1; }
want=$(sha256sum "$lock" | cut -d' ' -f1)
stamp="$venv/.lock-sha256"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
  exit 0
fi

echo "venv: installing $venv from $lock (sha256 ${want:0:12})"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --require-hashes --no-deps --only-binary=:all: -r "$lock"
# `python -m venv` seeds setuptools beside pip (Python 3.11); where the lock does not list it, it goes, so the venv
# holds the lock and pip, nothing more.
if ! grep -q '^setuptools==' "$lock"; then
  "$venv/bin/python" -m pip uninstall --quiet --disable-pip-version-check --yes setuptools 2>/dev/null || true
fi
# --no-deps installs only what the lock lists: pip check proves the lock is a complete tree.
"$venv/bin/python" -m pip check --disable-pip-version-check >/dev/null ||
  { "$venv/bin/python" -m pip check; echo "venv: $lock is not a complete dependency tree (make lock)" >&2; exit 1; }
echo "$want" >"$stamp"
