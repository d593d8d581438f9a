-- INCRBY, and PEXPIRE only when the counter is new, atomically: the rate-limit pattern (a fixed window from the
-- first increment).
-- KEYS[1]: the counter. ARGV[1]: the delta; ARGV[2]: the time to live in ms of a new counter (0 or less: none).
-- Returns the new count as the string Redis stores: Lua numbers are doubles and would round counts past 2^53.
local created = redis.call('EXISTS', KEYS[1]) == 0
redis.call('INCRBY', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('GET', KEYS[1])
