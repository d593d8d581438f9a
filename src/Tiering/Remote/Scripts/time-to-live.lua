-- A key's PTTL, and whether it holds our envelope, whose Redis life runs the fail-safe window past its freshness, or
-- something else (a counter), whose Redis life is its time to live.
-- KEYS[1]: the key. No ARGV.
-- Returns {PTTL (-2: missing, -1: no expiry), 1 for an envelope else 0, the envelope's logical expiry in unix ms (0:
-- none; only for an envelope)}. The caller tells the fresh part of an envelope's life from its logical expiry.
local p = redis.call('PTTL', KEYS[1])
if p == -2 or redis.call('TYPE', KEYS[1]).ok ~= 'string' then return {p, 0} end
local h = redis.call('GETRANGE', KEYS[1], 0, 10)
if string.len(h) == 11 and string.sub(h, 1, 1) == '\165' then return {p, 1, struct.unpack('<i8', h, 4)} end
return {p, 0}
