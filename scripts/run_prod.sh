#!/usr/bin/env bash
# Production profile on one machine: PostgreSQL tracker store, Redis lock
# store, two Rasa servers and the action server behind nginx on one port
# (web page, REST webhook and socket.io). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8000}
RASA_PORTS=${RASA_PORTS:-5005,5006}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
MODELS_DIR=${MODELS_DIR:-models}
RUN_DIR=${RUN_DIR:-var/prod}
PUBLIC_ORIGIN=${PUBLIC_ORIGIN:-http://localhost:$PORT}
export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}
export CHAT_ALLOWED_ORIGINS=${CHAT_ALLOWED_ORIGINS:-$PUBLIC_ORIGIN,http://127.0.0.1:$PORT}
# A crashed server's lock ticket blocks its conversation for this long (Rasa: 60 s).
export TICKET_LOCK_LIFETIME=${TICKET_LOCK_LIFETIME:-20}
export RETENTION_DAYS=${RETENTION_DAYS:-30}
# Resume tokens of the web chat (components/channels.py): one key for both Rasa
# servers. Set it in production so chats resume across restarts.
if [[ -z "${CHAT_SESSION_KEY:-}" ]]; then
  CHAT_SESSION_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(32))')
  echo "CHAT_SESSION_KEY not set: using a key for this run only." >&2
fi
export CHAT_SESSION_KEY
export SQLALCHEMY_SILENCE_UBER_WARNING=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
mkdir -p "$RUN_DIR"

scripts/install_nginx.sh
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
pg_isready -q -h 127.0.0.1 -p 5432 || echo "WARNING: PostgreSQL at 127.0.0.1:5432 is not answering." >&2
redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 \
  || echo "WARNING: Redis at $REDIS_HOST:$REDIS_PORT is not answering; servers use local locks." >&2

ENDPOINTS=$RUN_DIR/endpoints.yml
sed -e "s#http://127.0.0.1:5055/webhook#http://127.0.0.1:$ACTIONS_PORT/webhook#" \
    -e "s#^  url: 127.0.0.1#  url: $REDIS_HOST#" -e "s#^  port: 6379#  port: $REDIS_PORT#" \
    endpoints.prod.yml > "$ENDPOINTS"
CONF=$(.venv/bin/python scripts/render_nginx.py --port "$PORT" --rasa-ports "$RASA_PORTS" \
  --run-dir "$RUN_DIR" --rate-limit "${RATE_LIMIT:-5r/s}" --rate-burst "${RATE_BURST:-20}" --conn-limit "${CONN_LIMIT:-20}" \
  --public-origin "$PUBLIC_ORIGIN")

# The service directory (SERVICES_DATABASE_URL, default var/services.db), as in run.sh.
.venv/bin/python scripts/load_services.py

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

.venv/bin/python scripts/action_server.py --port "$ACTIONS_PORT" >"$RUN_DIR/actions.log" 2>&1 &
pids+=($!)
for port in ${RASA_PORTS//,/ }; do
  .venv/bin/rasa run --model "$MODELS_DIR" --endpoints "$ENDPOINTS" --credentials credentials.yml \
    --interface 127.0.0.1 --port "$port" --cors "$PUBLIC_ORIGIN" >"$RUN_DIR/rasa-$port.log" 2>&1 &
  pids+=($!)
done
"$NGINX" -c "$(realpath "$CONF")" -p "$(realpath "$RUN_DIR")" &
pids+=($!)
# Retention: purge conversations idle for RETENTION_DAYS now; then daily by the
# scheduler a deployment installs (deploy/README.md: systemd timer or cron).
# Without one (PURGE_SCHEDULER=none, e.g. this one-machine profile), the purge
# process repeats daily itself.
.venv/bin/python scripts/purge_conversations.py >>"$RUN_DIR/purge.log" 2>&1 || true
if [[ "${PURGE_SCHEDULER:-none}" == "none" ]]; then
  .venv/bin/python scripts/purge_conversations.py --every 86400 >>"$RUN_DIR/purge.log" 2>&1 &
  pids+=($!)
fi

echo "Production profile: http://localhost:$PORT (Rasa on ${RASA_PORTS}, actions on :$ACTIONS_PORT,"
echo "logs in $RUN_DIR/; Ctrl-C stops all). Rasa's HTTP API is off."
wait -n "${pids[@]}"
