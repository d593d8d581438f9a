-- UNLINK that counts as Redis's DEL would: a value kept only for fail-safe reads (see live.lua) is removed but not
-- counted, since it had expired.
-- KEYS: the keys (on a cluster, of one hash slot). ARGV[1]: now, unix ms.
-- Returns the number of keys that existed and were live.
--#include live.lua
local now = tonumber(ARGV[1])
local n = 0
for _, k in ipairs(KEYS) do
  if live(k, now) then n = n + 1 end
  redis.call('UNLINK', k)
end
return n
