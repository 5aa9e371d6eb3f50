-- The reference: nginx serving a static file of the same size as Kehu's answer.
-- Same headers as the Kehu runs, so the requests are the same size too.
dofile(os.getenv("KEHU_BENCH_DIR") .. "/common.lua")
local path = os.getenv("KEHU_BENCH_STATIC")
request = function()
  return wrk.format("GET", path)
end
