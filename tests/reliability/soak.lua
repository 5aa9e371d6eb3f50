-- The soak's mixed load for wrk: 80% reads (point reads, filtered list pages,
-- searches, the 360 view) and 20% writes (creates, updates), paced to
-- KEHU_SOAK_RATE requests/s in all (0: as fast as the server answers).
--
-- wrk has no rate option; delay() is asked before every request, so each
-- thread hands out send times from its own schedule (rate / threads a second)
-- on a monotonic clock, read through LuaJIT's FFI.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } kh_timespec;
int clock_gettime(int clk, kh_timespec *ts);
]]
local ts = ffi.new("kh_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local token = io.open(os.getenv("KEHU_SOAK_TOKEN_FILE")):read("*l")
local max_id = tonumber(os.getenv("KEHU_SOAK_MAX_ID"))
local rate = tonumber(os.getenv("KEHU_SOAK_RATE") or "0")
local nthreads = tonumber(os.getenv("KEHU_SOAK_THREADS") or "2")
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"

local cities = { "%E4%B8%8A%E6%B5%B7", "%E5%8C%97%E4%BA%AC", "%E6%B7%B1%E5%9C%B3", "%E5%B9%BF%E5%B7%9E",
  "%E6%9D%AD%E5%B7%9E", "%E6%88%90%E9%83%BD" } -- 上海 北京 深圳 广州 杭州 成都
local names = { "%E7%8E%8B%E4%BC%9F", "%E6%9D%8E%E5%A8%9C", "%E5%BC%A0%E6%95%8F", "%E5%88%98%E8%8A%B3" } -- 王伟 李娜 张敏 刘芳

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter * 7919 + os.time())
  thread:set("id", counter)
end

local interval, next_at, n
function init(args)
  math.randomseed(seed) -- per thread, or all threads ask for the same ids
  interval = rate > 0 and 1000 * nthreads / rate or 0
  n = 0
end

function delay()
  if interval == 0 then return 0 end
  local t = now_ms()
  -- Behind schedule by more than a second (a stall): forget the debt rather
  -- than make it up in a burst.
  if not next_at or next_at < t - 1000 then next_at = t end
  next_at = next_at + interval
  return math.max(0, next_at - t)
end

function request()
  n = n + 1
  local p = math.random(100)
  if p <= 50 then
    return wrk.format("GET", "/api/v1/contacts/" .. math.random(max_id))
  elseif p <= 65 then
    return wrk.format("GET", "/api/v1/contacts?limit=50&city=" .. cities[math.random(#cities)])
  elseif p <= 75 then
    return wrk.format("GET", "/api/v1/search?limit=20&q=" .. names[math.random(#names)])
  elseif p <= 80 then
    return wrk.format("GET", "/api/v1/contacts/" .. math.random(max_id) .. "/summary")
  elseif p <= 92 then
    -- seed differs per thread and per wrk run, so the e-mail addresses never repeat
    local body = string.format('{"name":"soak %d-%d","city":"杭州","email":"soak%d.%d@example.com"}', id, n, seed, n)
    return wrk.format("POST", "/api/v1/contacts", nil, body)
  else
    return wrk.format("PATCH", "/api/v1/contacts/" .. math.random(max_id), nil,
      string.format('{"title":"soak %d-%d"}', id, n))
  end
end
