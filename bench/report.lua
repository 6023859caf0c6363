-- Shared by every wrk scenario: optional POST body builders, and one JSON line
-- with the numbers run.py reads (latencies in microseconds).
local counter = 0
local threads = {}
local mode = os.getenv("BENCH_MODE") or "get"
local prefix = os.getenv("BENCH_PREFIX") or "x"
local store_id = os.getenv("BENCH_STORE_ID") or "1"
local token = os.getenv("BENCH_TOKEN") or ""
local username = os.getenv("BENCH_USERNAME") or ""
local password = os.getenv("BENCH_PASSWORD") or ""

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["Content-Type"] = "application/json"
  if token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  if mode == "item" then
    counter = counter + 1
    local body = string.format('{"name": "%s-%d-%d", "price": 1.5, "store_id": %s}',
      prefix, tid, counter, store_id)
    return wrk.format("POST", nil, nil, body)
  elseif mode == "login" then
    local body = string.format('{"username": "%s", "password": "%s"}', username, password)
    return wrk.format("POST", nil, nil, body)
  end
  return wrk.format("GET")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50": %d, "p99": %d, ' ..
    '"non2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
