-- unique.lua: every request gets a query string never used before, so no
-- cache tier and no per-key request coalescing can answer it: each one is
-- a render. STORES > 0 spreads requests uniformly over store-00001 …
-- store-STORES on DOMAIN; otherwise the Host given with -H is used.
local n = 0
local prefix = "r"

function init(args)
  prefix = (args[1] or "r") .. "-" .. tostring(tid)
  math.randomseed(os.time() + 7919 * tid)
end

function request()
  n = n + 1
  local path = "/?nocache=" .. prefix .. "-" .. n
  if STORES > 0 then
    return wrk.format("GET", path, {Host = string.format("store-%05d.%s", math.random(STORES), DOMAIN)})
  end
  return wrk.format(nil, path)
end
