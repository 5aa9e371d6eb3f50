-- The bare server (bare.c): the point read or the list page of point.lua and
-- list.lua, random ids, random cities, half the pages below a random id.
dofile(os.getenv("KEHU_BENCH_DIR") .. "/common.lua")
local op = os.getenv("KEHU_BENCH_BARE")
request = function()
  if op == "point" then
    return wrk.format("GET", "/contacts/" .. math.random(1, max_id))
  end
  local path = "/contacts?city=" .. urlencode(cities[math.random(#cities)])
  if math.random(2) == 2 then
    path = path .. "&below=" .. math.random(1, max_id)
  end
  return wrk.format("GET", path)
end
