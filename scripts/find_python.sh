#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 needs 3.10), or fails
# with one line saying what to install.
set -euo pipefail
candidates=()
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for v in "$root"/versions/3.10.*; do
    [[ -x "$v/bin/python" ]] && candidates+=("$v/bin/python")
  done
fi
candidates+=("$(command -v python3.10 || true)")
for py in "${candidates[@]}"; do
  if [[ -n "$py" && -x "$py" ]] && "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
    echo "$py"
    exit 0
  fi
done
echo "error: Python 3.10 not found; install it with 'pyenv install 3.10.13' (Rasa 3.6 needs Python 3.10)" >&2
exit 1
