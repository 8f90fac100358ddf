#!/usr/bin/env bash
# Starts the action server, the Rasa server (REST + socket.io) and the web
# page together; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
WEB_PORT=${WEB_PORT:-8080}
WEB_ORIGIN=${WEB_ORIGIN:-http://localhost:$WEB_PORT}
# Only the page's origin may call Rasa (CORS and the socket.io handshake).
export CHAT_ALLOWED_ORIGINS=${CHAT_ALLOWED_ORIGINS:-$WEB_ORIGIN,http://127.0.0.1:$WEB_PORT}
mkdir -p var
.venv/bin/python scripts/content_review.py --warn || true  # past review dates: warn, never stop

# The action server's port may differ from endpoints.yml's default.
ENDPOINTS=var/endpoints.run.yml
sed "s#http://localhost:5055/webhook#http://localhost:$ACTIONS_PORT/webhook#" endpoints.yml > "$ENDPOINTS"

# The service directory (SERVICES_DATABASE_URL, default var/services.db):
# checked against the factsheet and loaded before the servers start.
.venv/bin/python scripts/load_services.py

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# Both servers listen on 127.0.0.1 only (Rasa and rasa-sdk default to 0.0.0.0).
.venv/bin/python scripts/action_server.py --port "$ACTIONS_PORT" &
pids+=($!)
.venv/bin/rasa run --model models --endpoints "$ENDPOINTS" --credentials credentials.yml \
  --interface 127.0.0.1 --port "$RASA_PORT" --cors ${CHAT_ALLOWED_ORIGINS//,/ } &
pids+=($!)
.venv/bin/python scripts/serve_web.py --port "$WEB_PORT" --rasa-url "http://localhost:$RASA_PORT" &
pids+=($!)
# Retention: conversations idle for RETENTION_DAYS (30) are deleted now and daily.
.venv/bin/python scripts/purge_conversations.py --every 86400 >>var/purge.log 2>&1 &
pids+=($!)

echo "Chat in your browser: $WEB_ORIGIN  (Rasa on :$RASA_PORT, actions on :$ACTIONS_PORT; Ctrl-C stops all)"
wait -n "${pids[@]}"
