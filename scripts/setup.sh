#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the pinned packages.
# Re-running is a no-op (seconds) while requirements and constraints are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
STAMP=$VENV/.installed
want=$(cat requirements.txt constraints.txt scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [[ -f $STAMP && "$(cat "$STAMP")" == "$want" && -x $VENV/bin/rasa ]]; then
  exit 0
fi
PY=$(scripts/find_python.sh)
if [[ ! -x $VENV/bin/python ]] || ! $VENV/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi
echo "Installing pinned packages into $VENV (about 2 minutes the first time)..."
pip_install() {
  # This machine's pip config names local mirrors that may be absent: hide that noise.
  $VENV/bin/python -m pip install --quiet --disable-pip-version-check "$@" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}
pip_install 'pip==26.3' 'setuptools==70.3.0' 'wheel==0.45.1'
pip_install -r requirements.txt -c constraints.txt
echo "$want" > "$STAMP"
echo "Setup done."
