-- wrk script for bench/node_wrk.py: each request takes a random device's credentials.
-- wrk ... -s bench/node.lua URL -- CREDENTIALS_FILE PATH EXPECT
--   CREDENTIALS_FILE: one "bearer<TAB>hardwareId" per line (hardwareId may be empty)
--   PATH: the route and query; `hardwareId` is appended when the line has one
--   EXPECT: a string every 2xx body must contain ("-": no check)
-- done() prints one line "RESULT {json}" with req/s, latency percentiles and errors.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local creds = {}
local path, expect
bad_status, bad_body = 0, 0  -- globals: done() reads them with thread:get()

function init(args)
  for line in io.lines(args[1]) do
    local bearer, hardware = line:match("^([^\t]+)\t?(.*)$")
    local sep = args[2]:find("?", 1, true) and "&" or "?"
    local target = args[2]
    if hardware ~= "" then target = target .. sep .. "hardwareId=" .. hardware end
    table.insert(creds, {target, {["Authorization"] = "Bearer " .. bearer}})
  end
  expect = args[3] ~= "-" and args[3] or nil
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local c = creds[math.random(#creds)]
  return wrk.format("GET", c[1], c[2])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad_status = bad_status + 1
  elseif expect and not body:find(expect, 1, true) then
    bad_body = bad_body + 1
  end
end

function done(summary, latency, requests)
  local status, body = 0, 0
  for _, t in ipairs(threads) do
    status = status + t:get("bad_status")
    body = body + t:get("bad_body")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"seconds":%.3f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"max_ms":%.3f,"non2xx":%d,"unexpected_body":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    status, body, e.connect + e.read + e.write + e.timeout))
end
