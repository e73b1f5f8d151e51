#!/usr/bin/env bash
# Load test of `credence serve` on loopback, bounded in time.
#
# Builds the release CLI, makes (once, then reuses) a data directory of USERS scored users,
# starts `credence serve`, then measures with wrk (installed from Debian if missing):
#   1. GET /healthz, /v1/users/{id}/score and /eligibility paced towards RATE requests/s,
#   2. the same as fast as 64 connections go (saturation),
#   3. POST /v1/events with BATCH-line NDJSON batches (durable: fsync per batch).
# Every figure is printed as a `RESULT ...` line. Only 127.0.0.1 is used.
#
# Environment (defaults): USERS (100000), MONTHS (3), RATE (10000), CONNECTIONS (64),
# DURATION seconds per run (15), BATCH lines per intake batch (5000), LOADTEST_DIR
# (/tmp/credence-loadtest), SCRATCH_PATH (.build), THREADS wrk threads (1: the server has
# the other core).
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${USERS:-100000}
MONTHS=${MONTHS:-3}
RATE=${RATE:-10000}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-15}
BATCH=${BATCH:-5000}
THREADS=${THREADS:-1}
WORK=${LOADTEST_DIR:-/tmp/credence-loadtest}
SCRATCH=${SCRATCH_PATH:-.build}
READ_TOKEN=loadtest-read-token
WRITE_TOKEN=loadtest-write-token

if ! command -v wrk >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq wrk
fi
swift build -c release --scratch-path "$SCRATCH" --product credence
BIN="$SCRATCH/release/credence"
mkdir -p "$WORK"

if [ "$(cat "$WORK/population" 2>/dev/null)" != "$USERS users, $MONTHS months" ]; then
    echo "== building a data directory of $USERS users ($MONTHS months) in $WORK"
    rm -rf "$WORK/data" "$WORK/population"
    "$BIN" generate --users "$USERS" --months "$MONTHS" --output "$WORK/events.ndjson"
    time "$BIN" ingest --data-dir "$WORK/data" --no-fsync "$WORK/events.ndjson"
    # Intake events: another seed, ids and users renamed so they are all new.
    "$BIN" generate --users "$((USERS / 5))" --months 1 --seed 7 --clean \
        | sed -e 's/"event_id":"/"event_id":"lt-/' -e 's/"user_id":"/"user_id":"lt-/' >"$WORK/intake.ndjson"
    echo "$USERS users, $MONTHS months" >"$WORK/population"
fi
LAST_MONTH=$("$BIN" snapshot list --data-dir "$WORK/data" | awk 'NR > 1 { m = $1 } END { print m }')
"$BIN" snapshot export --data-dir "$WORK/data" --month "$LAST_MONTH" \
    | sed 's/^{"user_id":"\([^"]*\)".*/\1/' >"$WORK/ids.txt"
echo "== $(wc -l <"$WORK/ids.txt") scored users in $LAST_MONTH"

# A copy of the data directory, so intake does not change the population between runs.
rm -rf "$WORK/run"
cp -r "$WORK/data" "$WORK/run"
CREDENCE_READ_TOKENS=$READ_TOKEN CREDENCE_WRITE_TOKENS=$WRITE_TOKEN \
    "$BIN" serve --data-dir "$WORK/run" --port 0 --log-level warning >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
started=$(date +%s)
until grep -q "listening on" "$WORK/serve.out" 2>/dev/null; do
    kill -0 $SERVER 2>/dev/null || { cat "$WORK/serve.err"; exit 1; }
    [ $(($(date +%s) - started)) -lt 600 ] || { echo "the server did not start in 600 s"; exit 1; }
    sleep 0.5
done
URL=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out")
echo "== serving at $URL (replayed the log in $(($(date +%s) - started)) s)"

# wrk paces each connection with a whole number of milliseconds between a response and the next
# request: C connections at delay D and latency L give about C / (D + L) requests/s (L ~ 1 ms).
DELAY_MS=$((CONNECTIONS * 1000 / RATE - 1))
[ "$DELAY_MS" -ge 0 ] || DELAY_MS=0
run_wrk() { # route connections delay seconds
    LT_IDS="$WORK/ids.txt" LT_ROUTE=$1 LT_TOKEN=$READ_TOKEN LT_DELAY_MS=$3 \
        wrk -t "$THREADS" -c "$2" -d "$4s" --timeout 5s --latency -s scripts/loadtest/users.lua "$URL" \
        | grep '^RESULT' | sed "s/^RESULT/RESULT mode=$5/"
}
run_wrk score 8 0 3 warmup >/dev/null
# /healthz beside the routes, in the same run: the floor of this setup, and the saturated
# ratio the issue asks about (a route's requests/s over /healthz's).
for route in healthz score eligibility; do
    run_wrk "$route" "$CONNECTIONS" "$DELAY_MS" "$DURATION" "paced-$RATE"
done
for route in healthz score eligibility; do
    run_wrk "$route" 64 0 "$DURATION" saturated
done
python3 scripts/loadtest/intake.py "$URL" "$WRITE_TOKEN" "$WORK/intake.ndjson" "$BATCH" "$DURATION"
