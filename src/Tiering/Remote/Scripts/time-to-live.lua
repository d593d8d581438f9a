-- A key's PTTL, and whether it holds our envelope, whose Redis life runs the fail-safe window past its freshness, or
-- something else (a counter), whose Redis life is its time to live.
-- KEYS[1]: the key. No ARGV.
-- Returns {PTTL (-2: missing, -1: no expiry), 1 for an envelope else 0}.
local p = redis.call('PTTL', KEYS[1])
if p == -2 then return {p, 0} end
if redis.call('GETRANGE', KEYS[1], 0, 0) == '\165' then return {p, 1} end
return {p, 0}
