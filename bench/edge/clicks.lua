-- wrk script for bench/edge/run.sh: the same realistic tracking URL on every
-- request, with a unique click_id (random per-run prefix + a counter) and a
-- device id that varies with it, from an Android Chrome browser.
--
--   wrk -t1 -c64 -d10s -s clicks.lua http://127.0.0.1:PORT/ -- PREFIX CAMPAIGN
--
-- done() prints one machine-readable WRKSTATS line that run.sh parses.

local prefix, campaign = "bench", "demo"
local counter = 0
local headers = {
  ["User-Agent"] = "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 " ..
                   "(KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
  ["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  ["Accept-Language"] = "en-IN,en-GB;q=0.9,en;q=0.8",
}
local dev -- per-run constant part of the gaid

function init(args)
  if args[1] then prefix = args[1] end
  if args[2] then campaign = args[2] end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  dev = math.random(0, 0x7fffffff)
end

function request()
  counter = counter + 1
  local n = counter
  -- gaid: 8-4-4-4-12 hex digits, 36 characters, unique per click.
  local path = string.format(
    "/?c=%s&click_id=%s-%d&aff_id=4471&pub_id=site_209&sub1=diwali_sale&sub2=banner_%d" ..
    "&gaid=%08x-%04x-4%03x-%04x-%012x",
    campaign, prefix, n, n % 32,
    dev, n % 0x10000, math.floor(n / 0x10000) % 0x1000, 0x8000 + n % 0x4000, n)
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKSTATS requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
