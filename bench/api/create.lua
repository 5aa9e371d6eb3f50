-- Create a contact (validated, audited, indexed for search), each one different.
dofile(os.getenv("KEHU_BENCH_DIR") .. "/common.lua")
local n = 0
request = function()
  n = n + 1
  local name = surnames[math.random(#surnames)] .. given[math.random(#given)] .. given[math.random(#given)]
  local body = string.format('{"name":"%s","mobile":"139%08d","city":"%s","email":"bench%d.%d@example.com"}',
    name, math.random(0, 99999999), cities[math.random(#cities)], seed, n)
  return wrk.format("POST", "/api/v1/contacts", nil, body)
end
