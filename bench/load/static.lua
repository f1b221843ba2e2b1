-- wrk script for the ceiling: the same request shape as checkin.lua, against nginx serving a static file
-- of the check-in answer's size. GET, because nginx answers POST on a static file with 405.
function done(summary, latency, requests_)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx3xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d bytes=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, summary.bytes))
end
