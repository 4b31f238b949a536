-- report.lua: appended to every bench script. setup() keeps each thread so
-- that done() can add up the counters count.lua keeps per thread, then
-- prints one JSON line the bench parses.
local threads = {}
local counters = {"edge", "app_local", "app_redis", "app_miss", "app_other", "s2xx", "s3xx", "s4xx", "s5xx"}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d},"counters":{',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99)))
  for i, name in ipairs(counters) do
    local n = 0
    for _, t in ipairs(threads) do n = n + (tonumber(t:get(name)) or 0) end
    io.write(string.format('%s"%s":%d', i > 1 and "," or "", name, n))
  end
  io.write("}}\n")
end
