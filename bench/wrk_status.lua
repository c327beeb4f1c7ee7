-- wrk script: counts every answer by status and prints one machine-readable
-- RESULT line at the end (requests, non-2xx among them, socket errors,
-- latency percentiles in ms). wrk's own "Non-2xx or 3xx responses" leaves
-- out 3xx; this counts everything outside 200-299. Extra request headers
-- come from the command line (-H), as usual.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local by, non2xx = {}, 0
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      by[status] = (by[status] or 0) + n
      if status < 200 or status > 299 then non2xx = non2xx + n end
    end
  end
  local parts = {}
  for status, n in pairs(by) do table.insert(parts, status .. ":" .. n) end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d non2xx=%d socket_errors=%d err_connect=%d err_read=%d err_write=%d " ..
    "err_timeout=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f statuses=%s\n",
    summary.requests, non2xx, e.connect + e.read + e.write + e.timeout,
    e.connect, e.read, e.write, e.timeout, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    table.concat(parts, ",")))
end
