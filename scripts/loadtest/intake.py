"""Posts NDJSON batches to POST /v1/events for a bounded time and reports events/s.

Usage: intake.py URL TOKEN EVENTS_FILE BATCH_LINES SECONDS
Every response is only sent once its batch is durable, so this measures durable intake.
"""
import http.client
import json
import sys
import time
import urllib.parse

url, token, path, batch_lines, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
parts = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/x-ndjson"}

totals = {"accepted": 0, "duplicates": 0, "rejected": 0, "erased": 0}
lines_sent = 0
batches = 0
latencies = []
start = time.monotonic()
with open(path, "rb") as f:
    while time.monotonic() - start < seconds:
        batch = [line for _, line in zip(range(batch_lines), f)]
        if not batch:
            break
        body = b"".join(batch)
        t0 = time.monotonic()
        conn.request("POST", "/v1/events", body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        latencies.append(time.monotonic() - t0)
        if response.status != 200:
            sys.exit(f"intake answered {response.status}: {payload[:300]!r}")
        result = json.loads(payload)
        for k in totals:
            totals[k] += result[k]
        lines_sent += len(batch)
        batches += 1
elapsed = time.monotonic() - start
latencies.sort()
p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0
p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0
print(
    f"RESULT route=events lines={lines_sent} batches={batches} seconds={elapsed:.1f} "
    f"lines_per_s={lines_sent / elapsed:.0f} accepted_per_s={totals['accepted'] / elapsed:.0f} "
    f"batch_p50_ms={p50:.1f} batch_p99_ms={p99:.1f} " + " ".join(f"{k}={v}" for k, v in totals.items())
)
