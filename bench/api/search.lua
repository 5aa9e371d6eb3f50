-- Global search for a random two-character Chinese name (the hard case: too
-- short for a trigram index).
dofile(os.getenv("KEHU_BENCH_DIR") .. "/common.lua")
request = function()
  local q = surnames[math.random(#surnames)] .. given[math.random(#given)]
  return wrk.format("GET", "/api/v1/search?limit=20&q=" .. urlencode(q))
end
