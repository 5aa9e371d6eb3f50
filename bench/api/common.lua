-- Shared by the wrk scripts: the bearer token, a per-thread random seed (without
-- it every wrk thread asks for the same ids), and the size of the data set.
local token = io.open(os.getenv("KEHU_BENCH_TOKEN_FILE")):read("*l")
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
max_id = tonumber(os.getenv("KEHU_BENCH_MAX_ID") or "1000")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads * 7919 + os.time())
end

function init(args)
  math.randomseed(seed)
end

cities = {"上海", "北京", "深圳", "广州", "杭州", "成都", "南京", "苏州", "武汉", "西安", "重庆", "天津",
  "长沙", "郑州", "青岛", "宁波", "厦门", "合肥", "沈阳", "大连", "昆明", "哈尔滨", "福州", "济南"}
sources = {"web", "referral", "trade_show", "wechat", "advertising", "social", "phone", "campaign", "other"}
surnames = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"}
given = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明"}

function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
function b64url(data)
  return ((data:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end))
end
