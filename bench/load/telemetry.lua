-- wrk script: telemetry batches of BATCH events from enrolled hosts, each with a fresh idempotency key.
-- The template file is written by seed-fleet.cs, one host per line: PATH \t AUTHORIZATION \t BODY-WITH-{KEY}.
-- Usage: wrk -t2 -c64 -d20s --latency -s telemetry.lua http://127.0.0.1:PORT -- telemetry.tsv BATCH
-- Events per second = requests per second x BATCH (printed by done()).

local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local hosts = {}
local position = 0
local sent = 0
local batch = 100

function init(args)
  local file = args[1] or "telemetry.tsv"
  batch = tonumber(args[2] or "100")
  for line in io.lines(file) do
    local path, auth, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    if path then hosts[#hosts + 1] = { path = path, auth = auth, body = body } end
  end
  if #hosts == 0 then error("no hosts in " .. file) end
  position = math.floor(#hosts * id / 8)
end

function request()
  position = position + 1
  if position > #hosts then position = 1 end
  sent = sent + 1
  local h = hosts[position]
  -- Unique per thread and request, so the server counts every batch once.
  local key = string.format("bench-%d-%d", id, sent)
  local body = h.body:gsub("{KEY}", key)
  return wrk.format("POST", h.path, { ["Authorization"] = h.auth, ["Content-Type"] = "application/json" }, body)
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
