-- rotate.lua: cycle through KEYS variants of the page (/?k=0 … /?k=KEYS-1),
-- all stored in Redis beforehand. The app's local tier holds ten pages
-- (DUKAAN_LOCAL_SIZE=10), so it almost never has the one asked for and the
-- page comes from Redis; count.lua on the warm-up shows the exact mix.
local n = 0

function init(args)
  n = 9973 * tid
end

function request()
  n = n + 1
  return wrk.format(nil, "/?k=" .. (n % KEYS))
end
