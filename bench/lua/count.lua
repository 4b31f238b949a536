-- count.lua: which tier answered each response (X-Cache-Status from the
-- edge, X-App-Cache from the app) and its status class. Parsing headers in
-- Lua costs wrk time, so timed runs leave this out; warm-ups and the flash
-- sale use it.
edge, app_local, app_redis, app_miss, app_other = 0, 0, 0, 0, 0
s2xx, s3xx, s4xx, s5xx = 0, 0, 0, 0

function response(status, headers, body)
  if status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  elseif status >= 300 then s3xx = s3xx + 1
  else s2xx = s2xx + 1 end
  local e = headers["X-Cache-Status"]
  if e == "HIT" or e == "STALE" or e == "UPDATING" or e == "REVALIDATED" then
    edge = edge + 1
    return
  end
  local a = headers["X-App-Cache"]
  if a == "HIT-LOCAL" then app_local = app_local + 1
  elseif a == "HIT-REDIS" then app_redis = app_redis + 1
  elseif a == "MISS" then app_miss = app_miss + 1
  else app_other = app_other + 1 end
end
