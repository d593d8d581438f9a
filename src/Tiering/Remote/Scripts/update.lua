-- Compare-and-set for an update: writes the new envelope only if the key still holds exactly the bytes the update was
-- computed from. The new envelope inherits the old one's indexed flag (bit 6 of byte 3), so its memberships stay valid.
-- KEYS[1]: the value. KEYS[2], passed only for an indexed value: its group record; a new PX also stretches the record
-- and the group sets listing the value, so that none ends before it.
-- ARGV[1]: the bytes read; ARGV[2]: the new envelope; ARGV[3]: -2 keeps the time to live (KEEPTTL), -1 removes it,
-- else the new PX.
-- Returns 1 when written, 0 when another write came first (the caller reads again).
--#include stretch.lua
local v = redis.call('GET', KEYS[1])
if v ~= ARGV[1] then return 0 end
local n = ARGV[2]
local indexed = bit.band(string.byte(v, 3), 64) ~= 0
if indexed then n = string.sub(n, 1, 2) .. string.char(bit.bor(string.byte(n, 3), 64)) .. string.sub(n, 4) end
local px = tonumber(ARGV[3])
if px == -2 then redis.call('SET', KEYS[1], n, 'KEEPTTL')
elseif px == -1 then redis.call('SET', KEYS[1], n)
else redis.call('SET', KEYS[1], n, 'PX', px) end
if indexed and px ~= -2 and KEYS[2] then
  stretch(KEYS[2], px, redis.call('PTTL', KEYS[2]))
  for _, g in ipairs(redis.call('SMEMBERS', KEYS[2])) do stretch(g, px, redis.call('PTTL', g)) end
end
return 1
