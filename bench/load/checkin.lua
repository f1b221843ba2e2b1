-- wrk script: each request is one enrolled host's check-in, cycling through the fleet.
-- The requests file is written by seed-fleet.cs, one request per line: METHOD \t PATH \t AUTHORIZATION \t IF-NONE-MATCH \t BODY.
-- Usage: wrk -t2 -c64 -d20s --latency -s checkin.lua http://127.0.0.1:PORT -- requests.tsv [etag]
--   with "etag" as second argument each request carries the host's current ETag (the steady state: mostly 304).

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local requests = {}
local position = 0

function init(args)
  local file = args[1] or "requests.tsv"
  local with_etag = args[2] == "etag"
  for line in io.lines(file) do
    local method, path, auth, etag, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if method then
      local headers = { ["Authorization"] = auth, ["Content-Type"] = "application/json" }
      if with_etag and etag ~= "" then headers["If-None-Match"] = etag end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
  end
  if #requests == 0 then error("no requests in " .. file) end
  -- Threads start at different hosts so they do not check in the same host at the same moment.
  position = math.floor(#requests * id / 8)
end

function request()
  position = position + 1
  if position > #requests then position = 1 end
  return requests[position]
end

function done(summary, latency, requests_)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx3xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d bytes=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, summary.bytes))
end
