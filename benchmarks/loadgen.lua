-- wrk script of benchmarks/loadgen.py: POST a JSON body made from a template, with a value
-- picked at random from a samples file (one a line) in place of @@ in the template.
--
--   wrk -t1 -c8 -d10s -s loadgen.lua http://127.0.0.1:8765 -- /graphql body.json samples.txt
--
-- A response counts as an error unless its status is 200 and its body has no "errors" entry
-- (a GraphQL server answers 200 with errors). done() prints one JSON line with the figures.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local path, prefix, suffix
local samples = {}
bad = 0 -- global: done() reads it from each thread

function init(args)
  path = args[1]
  local file = assert(io.open(args[2], "rb"))
  local template = file:read("*a")
  file:close()
  local at = assert(template:find("@@", 1, true), "the body template has no @@")
  prefix = template:sub(1, at - 1)
  suffix = template:sub(at + 2)
  for line in io.lines(args[3]) do
    if #line > 0 then
      samples[#samples + 1] = line
    end
  end
  assert(#samples > 0, "no samples")
  math.randomseed(os.time() + (id or 0))
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local value = samples[math.random(#samples)]
  return wrk.format("POST", path, nil, prefix .. value .. suffix)
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local answers = 0
  for _, thread in ipairs(threads) do
    answers = answers + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "bad_answers": %d,'
      .. ' "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, answers,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
