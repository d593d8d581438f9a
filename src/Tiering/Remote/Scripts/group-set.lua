-- Writes a value with its groups (indexes and tags), first taking the key out of the sets of its previous write.
-- KEYS[1]: the value; KEYS[2]: its group record (the set of the group sets it is listed in); KEYS[3..]: the group sets.
-- ARGV[1]: the envelope, indexed flag set; ARGV[2]: PX (-1: none); ARGV[3]: the member (the full cache key).
-- Returns 1.
--#include stretch.lua
for _, g in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('SREM', g, ARGV[3]) end
redis.call('DEL', KEYS[2])
local px = tonumber(ARGV[2])
if px < 0 then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', px) end
for i = 3, #KEYS do
  local t = redis.call('PTTL', KEYS[i])
  redis.call('SADD', KEYS[i], ARGV[3])
  redis.call('SADD', KEYS[2], KEYS[i])
  stretch(KEYS[i], px, t)
end
if px >= 0 then redis.call('PEXPIRE', KEYS[2], px) end
return 1
