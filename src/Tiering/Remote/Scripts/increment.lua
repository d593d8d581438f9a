-- INCRBY, and PEXPIRE only when the counter is new, atomically: the rate-limit pattern (a fixed window from the
-- first increment).
-- KEYS[1]: the counter. ARGV[1]: the delta; ARGV[2]: the time to live in ms of a new counter (0 or less: none);
-- ARGV[3]: now, unix ms. A value kept only for fail-safe reads (see live.lua) has expired, so, as Redis would, the
-- increment starts a new counter in its place.
-- Returns the new count as the string Redis stores: Lua numbers are doubles and would round counts past 2^53.
--#include live.lua
local created = not live(KEYS[1], tonumber(ARGV[3]))
if created then redis.call('DEL', KEYS[1]) end
redis.call('INCRBY', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('GET', KEYS[1])
