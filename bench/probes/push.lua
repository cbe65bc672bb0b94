-- wrk script for the push ingest benchmark: POSTs the NDJSON batch in $DW_BENCH_BODY, repeatedly.
local f = assert(io.open(os.getenv("DW_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/x-ndjson"

local non_202 = 0
function response(status, headers, body)
  if status ~= 202 then
    non_202 = non_202 + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("wrk: %d requests, %d errors (socket), status != 202 in this thread: see server count\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status))
end
