-- wrk script: GET /v1/users/<random scored user>/<LT_ROUTE>, with a bearer token, paced by
-- LT_DELAY_MS per connection (wrk is closed-loop; pacing approximates a fixed rate).
-- LT_ROUTE=healthz measures the server's floor, GET /healthz, on the same connections.
-- Environment: LT_IDS (file of user ids, one a line), LT_ROUTE (score | eligibility | healthz),
-- LT_TOKEN (a read token), LT_DELAY_MS (0 = as fast as possible).
local ids = {}
local route = os.getenv("LT_ROUTE") or "score"
local token = os.getenv("LT_TOKEN") or ""
local pace = tonumber(os.getenv("LT_DELAY_MS") or "0")
local counter = 0

function init(args)
  for line in io.lines(os.getenv("LT_IDS")) do
    ids[#ids + 1] = line
  end
  counter = math.random(#ids)
end

function request()
  -- A multiplicative walk over the ids: spread over the whole population, no per-request RNG state.
  counter = (counter * 1103515245 + 12345) % 2147483648
  local id = ids[(counter % #ids) + 1]
  if route == "healthz" then
    return wrk.format("GET", "/healthz")
  end
  return wrk.format("GET", "/v1/users/" .. id .. "/" .. route, { ["Authorization"] = "Bearer " .. token })
end

function delay()
  return pace
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT route=%s requests=%d seconds=%.1f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f socket_errors=%d non2xx=%d\n",
    route, summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
