-- A filtered list page of 50: contacts of a random city, newest first, the
-- first page or (half the time) a later one reached by its cursor.
dofile(os.getenv("KEHU_BENCH_DIR") .. "/common.lua")
request = function()
  local city = cities[math.random(#cities)]
  local path = "/api/v1/contacts?limit=50&city=" .. urlencode(city)
  if math.random(2) == 2 then
    -- A cursor is base64url of {"s":"-id","v":[id]}: continue below a random id.
    local json = '{"s":"-id","v":[' .. math.random(1, max_id) .. ']}'
    path = path .. "&cursor=" .. b64url(json)
  end
  return wrk.format("GET", path)
end
