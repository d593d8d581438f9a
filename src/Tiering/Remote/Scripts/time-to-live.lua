-- A key's PTTL, and whether it holds our envelope, whose Redis life runs the fail-safe window past its freshness, or
-- something else (a counter), whose Redis life is its time to live.
-- KEYS[1]: the key. No ARGV.
-- Returns {PTTL (-2: missing, -1: no expiry), 1 for an envelope else 0, the envelope's logical expiry in unix ms (0:
-- none; only for an envelope)}. The caller tells the fresh part of an envelope's life from its logical expiry.
--#include live.lua
local p = redis.call('PTTL', KEYS[1])
if p == -2 then return {p, 0} end
local _, expiry = envelope(KEYS[1])
if expiry ~= nil then return {p, 1, expiry} end
return {p, 0}
