-- zipf.lua: each request picks a page from TARGETS = {{host, path, cumulative
-- probability}, ...}, Zipf-skewed toward the hot store.
function init(args)
  math.randomseed(os.time() + 7919 * tid)
end

function request()
  local r = math.random()
  local lo, hi = 1, #TARGETS
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if TARGETS[mid][3] < r then lo = mid + 1 else hi = mid end
  end
  local t = TARGETS[lo]
  return wrk.format("GET", t[2], {Host = t[1]})
end
