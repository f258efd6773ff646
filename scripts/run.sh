#!/usr/bin/env bash
# Serve Inkseal (:8000) and the demo procurement portal (:8001) until interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
# The demo runs the sandbox providers (identity, payment, SMS outbox at /dev/sms) on purpose;
# production leaves INKSEAL_SANDBOX off and `inkseal serve` refuses sandbox providers.
export INKSEAL_SANDBOX=1
venv=.venv/bin
$venv/inkseal migrate -v0
$venv/inkseal bootstrap --demo
$venv/python -m examples.procurement_portal migrate -v0
$venv/python -m examples.procurement_portal seed >/dev/null
$venv/inkseal serve --bind "${INKSEAL_BIND:-127.0.0.1:8000}" &
inkseal_pid=$!
$venv/python -m examples.procurement_portal serve "${DEMO_PORTAL_BIND:-127.0.0.1:8001}" &
portal_pid=$!
# The job consumer (Huey, queue in var/huey.sqlite3): callbacks with retries, sign-task recovery
# and expiry, retention purges, CRLs, audit anchors.
$venv/inkseal run_huey &
jobs_pid=$!
$venv/inkseal manual build >/dev/null &  # the user manual PDF, ahead of the first download
manual_pid=$!
trap 'kill $inkseal_pid $portal_pid $jobs_pid $manual_pid 2>/dev/null; wait' INT TERM EXIT
echo
echo "Inkseal:              http://${INKSEAL_BIND:-127.0.0.1:8000}/"
echo "demo procurement portal: http://${DEMO_PORTAL_BIND:-127.0.0.1:8001}/"
echo "logins and passwords: var/demo.json (readable by you only; never printed, so not in this log)"
echo "Ctrl-C stops both."
wait -n $inkseal_pid $portal_pid
