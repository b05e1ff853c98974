#!/usr/bin/env bash
# make dev: start the embedded Temporal devserver, migrate and seed the local database, then
# run the worker and the gateway. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:=postgres://postgres@127.0.0.1:5432/egovpm?sslmode=disable}"
: "${TEMPORAL_ADDRESS:=127.0.0.1:7233}"
: "${HTTP_ADDR:=127.0.0.1:8080}"
# Without a relay, the mail (an address's confirmation code among it) is written to files here.
if [ -z "${NOTIFY_SMTP_ADDR:-}" ]; then
  : "${NOTIFY_MAIL_DIR:=.data/mail}"
  mkdir -p "$NOTIFY_MAIL_DIR"
  export NOTIFY_MAIL_DIR
fi
export DATABASE_URL TEMPORAL_ADDRESS HTTP_ADDR

if ! bin/egovpm migrate; then
  cat >&2 <<MSG

PostgreSQL is not reachable at ${DATABASE_URL}.
Start one of:
  - a local install:  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start
                      (Debian: apt-get install postgresql)
  - the compose service:  docker compose up -d postgres   (then set DATABASE_URL with its password)
MSG
  exit 1
fi
if [ "${EGOVPM_DEMO_SEED:-1}" != "0" ] && [ "${EGOVPM_MODE:-dev}" = "dev" ]; then
  bin/egovpm seed-demo
fi

pids=()
cleanup() {
  trap - INT TERM EXIT
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "egovpm dev: stopped"
}
trap cleanup INT TERM EXIT

mkdir -p .data/temporal
bin/devserver --addr "$TEMPORAL_ADDRESS" --db-file .data/temporal/temporal.db &
pids+=($!)
for _ in $(seq 1 120); do
  (exec 3<>"/dev/tcp/${TEMPORAL_ADDRESS%:*}/${TEMPORAL_ADDRESS#*:}") 2>/dev/null && break
  sleep 0.5
done
bin/worker &
pids+=($!)
bin/server &
pids+=($!)

cat <<MSG

egovpm is running:
  Web UI       http://${HTTP_ADDR}/   (登录 as a demo user below; \`make ui-dev\` serves the UI with live reload)
  API          http://${HTTP_ADDR}/api/v1/   (OpenAPI: http://${HTTP_ADDR}/api/v1/openapi.yaml)
  health       http://${HTTP_ADDR}/readyz
  Temporal UI  http://127.0.0.1:8233
  Temporal     ${TEMPORAL_ADDRESS} (namespace default)
  demo users   alice, bob, drb1, drbsup, exp1..exp5, ndrc1, gov1, prta1, fin1, crypto1, audit1, ops1, admin
               password: ${EGOVPM_DEMO_PASSWORD:-demo-Passw0rd}
  mail         ${NOTIFY_MAIL_DIR:-through ${NOTIFY_SMTP_ADDR:-}}   (one .eml file a message: an address's 验证码 is there)
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "egovpm dev: a process exited; stopping the rest" >&2
exit 1
