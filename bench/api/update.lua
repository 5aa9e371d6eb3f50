-- Change one field of a random contact (read old values, audit the change).
dofile(os.getenv("KEHU_BENCH_DIR") .. "/common.lua")
local titles = {"总经理", "采购经理", "销售总监", "IT 主管", "财务经理"}
request = function()
  local body = '{"title":"' .. titles[math.random(#titles)] .. '","city":"' .. cities[math.random(#cities)] .. '"}'
  return wrk.format("PATCH", "/api/v1/contacts/" .. math.random(1, max_id), nil, body)
end
