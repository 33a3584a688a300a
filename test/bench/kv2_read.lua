-- wrk script: KV v2 read of secret/data/bench/<n>, rotating over BENCH_KEYS
-- (default 1000) keys that the run script wrote beforehand.
-- Env: VAULT_TOKEN (required), BENCH_KEYS, BENCH_MOUNT (default "secret").
local token = os.getenv("VAULT_TOKEN")
if token == nil or token == "" then
   io.stderr:write("kv2_read.lua: set VAULT_TOKEN\n")
   os.exit(2)
end
local nkeys = tonumber(os.getenv("BENCH_KEYS") or "1000")
local mount = os.getenv("BENCH_MOUNT") or "secret"
local paths = {}
for i = 0, nkeys - 1 do
   paths[i] = "/v1/" .. mount .. "/data/bench/" .. i
end

local threads = 0
function setup(thread)
   thread:set("id", threads)
   threads = threads + 1
end

local n = 0
function init(args)
   -- Spread the threads over the key space so they do not read in lockstep.
   n = (id or 0) * 499
   wrk.method = "GET"
   wrk.headers["X-Vault-Token"] = token
end

function request()
   n = n + 1
   return wrk.format(nil, paths[n % nkeys])
end
