-- wrk script for bench/runtime/loadgen.ts: POSTs JSON bodies read from $BODIES (one per line),
-- prebuilt once and taken round-robin across connections, so concurrent requests carry different
-- queries; prints one JSON line with the totals and latency percentiles when the run ends.
local requests = {}
local count = 0
local next = 0

init = function(args)
  local file = assert(io.open(os.getenv("BODIES"), "r"))
  for line in file:lines() do
    if #line > 0 then
      count = count + 1
      requests[count] = wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, line)
    end
  end
  file:close()
  assert(count > 0, "no request bodies in " .. os.getenv("BODIES"))
end

request = function()
  next = next % count + 1
  return requests[next]
end

-- wrk counts a response of status 400 or above in both requests and errors.status.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"errors":{"status >= 400":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d},'
      .. '"seconds":%.6f,"p50Ms":%.3f,"p99Ms":%.3f}\n',
    summary.requests,
    e.status,
    e.connect,
    e.read,
    e.write,
    e.timeout,
    summary.duration / 1e6,
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000
  ))
end
