-- The customer 360 view's figures for a random contact.
dofile(os.getenv("KEHU_BENCH_DIR") .. "/common.lua")
request = function()
  return wrk.format("GET", "/api/v1/contacts/" .. math.random(1, max_id) .. "/summary")
end
