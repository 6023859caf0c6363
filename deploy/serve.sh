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
INSTANCES=${INSTANCES:-1}  # gunicorn instances (each with WEB_CONCURRENCY workers) behind nginx
PGBOUNCER=${PGBOUNCER:-0}  # 1: PgBouncer (transaction mode) between the instances and PostgreSQL
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
export PROXY_COUNT=${PROXY_COUNT:-1}  # the app trusts X-Forwarded-For from nginx only
export TRUSTED_HOSTS=${TRUSTED_HOSTS:-localhost,127.0.0.1,$HOST}  # Host names the API answers for
# A SQLite file of its own by default, not `make run`'s instance/stores.db.
export DATABASE_URL=${DATABASE_URL:-sqlite:///$RUN_DIR/stores.db}

mkdir -p "$RUN_DIR"
rm -f "$RUN_DIR"/gunicorn*.sock
# Instance 1 listens on gunicorn.sock, instance N on gunicorn-N.sock.
socket() { if [ "$1" = 1 ]; then echo "$RUN_DIR/gunicorn.sock"; else echo "$RUN_DIR/gunicorn-$1.sock"; fi; }
# One instance is never marked down (it is all there is); of several, a failed one is
# skipped for 2 s.
OPTIONS="fail_timeout=0"
if [ "$INSTANCES" -gt 1 ]; then OPTIONS="max_fails=1 fail_timeout=2s"; fi
MORE=""
for i in $(seq 2 "$INSTANCES"); do MORE+="server unix:$(socket "$i") $OPTIONS; "; done
# Started as root, nginx would hand requests to `nobody`, who cannot reach a private
# RUN_DIR: its workers run as the user who runs gunicorn instead.
USER_LINE=""
if [ "$(id -u)" = 0 ]; then USER_LINE="user $(id -un) $(id -gn);"; fi
sed -e "s|@USER@|$USER_LINE|" -e "s|@RUN@|$RUN_DIR|g" -e "s|@PORT@|$HOST:$PORT|g" -e "s|@CLIENT_TIMEOUT@|$CLIENT_TIMEOUT|g" -e "s|@SERVER_OPTIONS@|$OPTIONS|" -e "s|@MORE_INSTANCES@|$MORE|" deploy/nginx.conf.template >"$RUN_DIR/nginx.conf"
"$NGINX" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr

"$BIN/python" -m deploy.database  # creates a missing PostgreSQL database, or says what to do
# Straight to PostgreSQL: a long migration is not cut by the pooler's statement_timeout.
"$BIN/flask" --app app:create_app db upgrade

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop INT TERM EXIT

if [ "$PGBOUNCER" = 1 ]; then
  # Its ini, auth file, log and pid in RUN_DIR, on PGBOUNCER_PORT (default: a free one).
  pgbouncer=$("$BIN/python" -m deploy.pgbouncer "$RUN_DIR" "${PGBOUNCER_PORT:-0}")
  read -r pgbouncer_port pooled_url <<<"$pgbouncer"
  as_user=()
  if [ "$(id -u)" = 0 ]; then as_user=(-u nobody); fi  # PgBouncer refuses to run as root
  "${PGBOUNCER_BIN:-/usr/sbin/pgbouncer}" "${as_user[@]}" "$RUN_DIR/pgbouncer.ini" 2>"$RUN_DIR/pgbouncer.log" &
  pgbouncer_pid=$!
  pids+=($pgbouncer_pid)
  echo "$pgbouncer_pid" >"$RUN_DIR/pgbouncer.pid"
  until (exec 3<>"/dev/tcp/127.0.0.1/$pgbouncer_port") 2>/dev/null; do
    kill -0 "$pgbouncer_pid" 2>/dev/null || { cat "$RUN_DIR/pgbouncer.log" >&2; exit 1; }
    sleep 0.1
  done
  export DATABASE_URL=$pooled_url DATABASE_POOLER=transaction
  echo "PgBouncer (transaction mode) on 127.0.0.1:$pgbouncer_port" >&2
fi

for i in $(seq 1 "$INSTANCES"); do
  GUNICORN_BIND="unix:$(socket "$i")" GUNICORN_CONTROL_SOCKET="$RUN_DIR/gunicorn-$i.ctl" \
    "$BIN/gunicorn" -p "$RUN_DIR/gunicorn-$i.pid" "app:create_app()" &
  pids+=($!)
done
"$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr &
nginx_pid=$!
pids+=($nginx_pid)
if [ -n "${MAIL_URL:-}" ]; then  # queued mail is sent by its own process (mail/worker.py)
  "$BIN/flask" --app app:create_app mail worker &
  pids+=($!)
fi
# Said only once a request through nginx reaches the app (before that, nginx answers 502).
until "$BIN/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
  "http://$HOST:$PORT/health" 2>/dev/null; do
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || exit 1; done
  sleep 0.2
done
via=""
if [ "$PGBOUNCER" = 1 ]; then via=" -> PgBouncer"; fi
echo "serving on http://$HOST:$PORT (nginx -> $INSTANCES gunicorn instance(s)$via in $RUN_DIR)" >&2
if [ "$INSTANCES" = 1 ]; then
  wait -n "${pids[@]}"  # either one ending ends both
else
  wait "$nginx_pid"  # nginx; a lost instance is routed around, as behind a load balancer
fi
