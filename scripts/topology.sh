#!/usr/bin/env bash
# A multi-node Inkseal on one machine, on loopback, from Debian's packages (no containers):
#   PostgreSQL (unix socket in the topology dir) + Redis (Huey's queue) + HAProxy in front of two
#   `inkseal serve` app servers, and two Huey consumers (`inkseal run_huey`).
#
#   scripts/topology.sh start|stop|status|env
#
# Environment:
#   INKSEAL_TOPOLOGY_DIR   where everything lives (default /tmp/inkseal-topology-<uid>: the PostgreSQL user must reach it): pg/ (cluster), var/ (the
#                          INKSEAL_VAR_DIR every node shares: secrets, media), run/ (pids), log/
#   INKSEAL_TOPOLOGY_PORT  base port (default 8100): HAProxy = base, app servers = base+1 and
#                          base+2, Redis = base+3, HAProxy's stats page = base+4
#   INKSEAL_WORKERS        gunicorn workers per app server (default 2)
#   INKSEAL_TOPOLOGY_PG_OPTIONS  more postgres options (the tests: "-c fsync=off ..." as
#                          scripts/with-postgres.sh; the benchmark keeps PostgreSQL's defaults)
#   any other INKSEAL_* variable is passed to every node (e.g. INKSEAL_SIGN_HEARTBEAT_TIMEOUT)
# `env` prints the variables a management command needs to act on this topology
# (`eval "$(scripts/topology.sh env)"; .venv/bin/inkseal audit verify`).
# The nodes run the sandbox providers (SMS outbox at /dev/sms): a test and demo topology.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"  # haproxy is in /usr/sbin, not on every user's PATH
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${INKSEAL_TOPOLOGY_DIR:-/tmp/inkseal-topology-$(id -u)}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
base=${INKSEAL_TOPOLOGY_PORT:-8100}
lb_port=$base app1_port=$((base + 1)) app2_port=$((base + 2)) redis_port=$((base + 3)) stats_port=$((base + 4))
venv=${INKSEAL_VENV:-$root/.venv}
[ -x "$venv/bin/python" ] || venv=$(dirname "$(dirname "$(command -v python3)")")
py=$venv/bin/python
run=$dir/run log=$dir/log

topology_env() {
  cat <<EOF
export INKSEAL_VAR_DIR='$dir/var'
export DATABASE_URL='postgres://inkseal@/inkseal?host=$dir/pgsock'
export INKSEAL_HUEY_URL='redis://127.0.0.1:$redis_port/0'
export INKSEAL_SANDBOX=1
export INKSEAL_PUBLIC_BASE_URL='http://127.0.0.1:$lb_port'
EOF
}

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
alive() { [ -f "$run/$1.pid" ] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }

need() {
  local missing=()
  for binary in "$@"; do command -v "$binary" >/dev/null || missing+=("$binary"); done
  [ -x "$(pg_bindir)/initdb" ] || missing+=(postgresql)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing: ${missing[*]} (scripts/system-packages.sh test installs them)" >&2
    exit 3
  fi
}

wait_for() {  # wait_for WHAT COMMAND...: up to 60 s
  local what=$1; shift
  for _ in $(seq 1 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "$what did not start (see $log)" >&2
  return 1
}

start_postgres() {
  local bindir; bindir=$(pg_bindir)
  mkdir -p "$dir/pgsock"
  if [ ! -d "$dir/pg/data" ]; then
    mkdir -p "$dir/pg"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pg" "$dir/pgsock" "$log"
    as_pg "$bindir/initdb" -D "$dir/pg/data" -U inkseal -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pgsock" "$log"
  if ! as_pg "$bindir/pg_ctl" -D "$dir/pg/data" status >/dev/null 2>&1; then
    as_pg "$bindir/pg_ctl" -D "$dir/pg/data" -l "$log/postgres.log" -w \
      -o "-k $dir/pgsock -c listen_addresses='' -c max_connections=200 ${INKSEAL_TOPOLOGY_PG_OPTIONS:-}" start >/dev/null
  fi
  as_pg "$bindir/psql" -h "$dir/pgsock" -U inkseal -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='inkseal'" |
    grep -q 1 || as_pg "$bindir/createdb" -h "$dir/pgsock" -U inkseal inkseal
}

start_redis() {
  alive redis && return 0
  redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --pidfile "$run/redis.pid" \
    --dir "$dir" --save "" --appendonly no --logfile "$log/redis.log" >/dev/null
  wait_for redis redis-cli -p "$redis_port" ping
}

start_app() {  # start_app NAME PORT
  alive "$1" && return 0
  # its own session (setsid): `kill -9 -- -<pid>` ends the master and its workers at once
  # the client's address from HAProxy's PROXY protocol header (per-IP limits see each client)
  INKSEAL_PROXY_PROTOCOL=1 setsid "$py" -m inkseal.cli serve --bind "127.0.0.1:$2" --workers "${INKSEAL_WORKERS:-2}" \
    >"$log/$1.log" 2>&1 </dev/null &
  echo $! >"$run/$1.pid"
}

start_consumer() {  # start_consumer NAME
  alive "$1" && return 0
  # both consumers run the periodic jobs (each is safe to run twice): losing either keeps them
  setsid "$py" -m inkseal.cli run_huey >"$log/$1.log" 2>&1 </dev/null &
  echo $! >"$run/$1.pid"
}

start_haproxy() {
  cat >"$dir/haproxy.cfg" <<EOF
global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 130s
    timeout server 130s
    # a request whose connection to a server failed goes to the other one (it never reached
    # the first); a request a server accepted is never replayed
    retries 3
    option redispatch
frontend inkseal
    bind 127.0.0.1:$lb_port
    default_backend app
backend app
    balance roundrobin
    option httpchk GET /healthz
    # a dead server refuses at once (down after 3 s); a busy one may answer slowly: 5 s per check
    # (at 1 s, both servers signing flat out were taken down together and the balancer answered 503)
    timeout check 5s
    default-server inter 1s fall 3 rise 2
    # send-proxy-v2: each request carries the client's address (gunicorn --proxy-protocol)
    server app1 127.0.0.1:$app1_port check send-proxy-v2 check-send-proxy
    server app2 127.0.0.1:$app2_port check send-proxy-v2 check-send-proxy
listen stats
    bind 127.0.0.1:$stats_port
    stats enable
    stats uri /
EOF
  alive haproxy && kill "$(cat "$run/haproxy.pid")" && sleep 0.2
  haproxy -D -q -p "$run/haproxy.pid" -f "$dir/haproxy.cfg"
}

healthy() { curl -fsS -m 5 "http://127.0.0.1:$1/healthz"; }

start() {
  need redis-server redis-cli haproxy curl
  mkdir -p "$run" "$log" "$dir/var"
  eval "$(topology_env)"
  local began=$SECONDS
  start_postgres
  start_redis
  echo "postgres and redis: $((SECONDS - began)) s"
  # the nodes load while the schema is migrated: /healthz answers once both are done
  start_app app1 "$app1_port"
  start_app app2 "$app2_port"
  start_haproxy
  "$py" -m inkseal.cli migrate -v0
  echo "migrate: $((SECONDS - began)) s"
  start_consumer jobs1  # after the schema: their periodic jobs may run at once
  start_consumer jobs2
  wait_for "app server 1" healthy "$app1_port"
  wait_for "app server 2" healthy "$app2_port"
  wait_for haproxy healthy "$lb_port"
  echo "app servers and balancer: $((SECONDS - began)) s"
  status
}

stop() {
  # TERM to every node's process group at once, KILL to what is left after 5 s
  local pids=() pid
  for name in haproxy app1 app2 jobs1 jobs2 redis; do
    [ -f "$run/$name.pid" ] || continue
    pid=$(cat "$run/$name.pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
    rm -f "$run/$name.pid"
  done
  for _ in $(seq 1 50); do
    local left=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
    [ $left -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
  local bindir; bindir=$(pg_bindir)
  if [ -d "$dir/pg/data" ]; then as_pg "$bindir/pg_ctl" -D "$dir/pg/data" -m fast stop >/dev/null 2>&1 || true; fi
}

status() {
  local down=0
  for name in haproxy app1 app2 jobs1 jobs2 redis; do
    if alive "$name"; then echo "$name: up (pid $(cat "$run/$name.pid"))"; else echo "$name: down"; down=1; fi
  done
  if as_pg "$(pg_bindir)/pg_ctl" -D "$dir/pg/data" status >/dev/null 2>&1; then echo "postgres: up ($dir/pgsock)"
  else echo "postgres: down"; down=1; fi
  echo "load balancer: http://127.0.0.1:$lb_port/ (app servers :$app1_port :$app2_port, stats :$stats_port)"
  return $down
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) topology_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
