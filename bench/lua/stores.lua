-- stores.lua: each request asks for the front page of the next store in
-- turn, store-00001 … store-STORES on DOMAIN. Every store's page is its own
-- cache key, so an app without cache tiers renders each one, and requests
-- in flight at once name different stores (no two share a render).
local n = 0

function init(args)
  -- Threads start far apart in the rotation.
  n = math.floor((tid - 1) * STORES / 2)
end

-- wrk -H headers (a browser's, say) go with every request: wrk.format
-- uses the table it is given instead of wrk.headers, not merged with it.
local headers = nil

function request()
  if headers == nil then
    headers = {}
    for k, v in pairs(wrk.headers) do headers[k] = v end
  end
  n = n + 1
  headers["Host"] = string.format("store-%05d.%s", (n % STORES) + 1, DOMAIN)
  return wrk.format("GET", "/", headers)
end
