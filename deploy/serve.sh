#!/usr/bin/env bash
# `make serve`: nginx (Debian's package) in front of gunicorn on this machine.
# nginx runs in the foreground with its own prefix and temp folders under RUN_DIR,
# so no system config is touched; Ctrl-C or SIGTERM stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${BIN:-$ROOT/.venv/bin}
PORT=${PORT:-8080}
HOST=${HOST:-127.0.0.1}  # the address nginx listens on: 0.0.0.0 to take outside calls
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-10}  # seconds a client may take to send headers or body
RUN_DIR=${RUN_DIR:-$ROOT/instance/serve-$PORT}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
export PROXY_COUNT=${PROXY_COUNT:-1}  # the app trusts X-Forwarded-For from nginx only
# A SQLite file of its own by default, not `make run`'s instance/stores.db.
export DATABASE_URL=${DATABASE_URL:-sqlite:///$RUN_DIR/stores.db}

mkdir -p "$RUN_DIR"
rm -f "$RUN_DIR/gunicorn.sock"
# Started as root, nginx would hand requests to `nobody`, who cannot reach a private
# RUN_DIR: its workers run as the user who runs gunicorn instead.
USER_LINE=""
if [ "$(id -u)" = 0 ]; then USER_LINE="user $(id -un) $(id -gn);"; fi
sed -e "s|@USER@|$USER_LINE|" -e "s|@RUN@|$RUN_DIR|g" -e "s|@PORT@|$HOST:$PORT|g" -e "s|@CLIENT_TIMEOUT@|$CLIENT_TIMEOUT|g" deploy/nginx.conf.template >"$RUN_DIR/nginx.conf"
"$NGINX" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr

"$BIN/python" -m deploy.database  # creates a missing PostgreSQL database, or says what to do
"$BIN/flask" --app app:create_app db upgrade

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop INT TERM EXIT

GUNICORN_BIND="unix:$RUN_DIR/gunicorn.sock" "$BIN/gunicorn" "app:create_app()" &
pids+=($!)
"$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr &
pids+=($!)
# Said only once a request through nginx reaches the app (before that, nginx answers 502).
until "$BIN/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
  "http://$HOST:$PORT/health" 2>/dev/null; do
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || exit 1; done
  sleep 0.2
done
echo "serving on http://$HOST:$PORT (nginx -> gunicorn at $RUN_DIR/gunicorn.sock)" >&2
wait -n "${pids[@]}"  # either one ending ends both
