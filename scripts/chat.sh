#!/usr/bin/env bash
# A terminal chat (rasa shell) with the action server running alongside.
set -euo pipefail
cd "$(dirname "$0")/.."
ACTIONS_PORT=${ACTIONS_PORT:-5055}
mkdir -p var
sed "s#http://localhost:5055/webhook#http://localhost:$ACTIONS_PORT/webhook#" endpoints.yml > var/endpoints.chat.yml
.venv/bin/python scripts/action_server.py --port "$ACTIONS_PORT" >var/actions.chat.log 2>&1 &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null || true' EXIT INT TERM
.venv/bin/rasa shell --model models --endpoints var/endpoints.chat.yml
