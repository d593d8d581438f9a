-- Changes a key's time to live in Redis and in its envelope together, so that readers, which take L1's life from the
-- envelope, never keep a value longer than Redis does. (KEEPTTL would not do: an envelope's Redis life must move with
-- its logical expiry.) A value that is not our envelope (a counter) gets its expiry changed and nothing else.
-- KEYS[1]: the key. KEYS[2] (single server only): the key's group record; an indexed value (bit 6 of the flags) also
-- stretches the record and its group sets, so that none ends before the value.
-- ARGV[1]: the new logical expiry, unix ms (0: none); ARGV[2]: the new PX (-1: persist), fail-safe window included;
-- ARGV[3]: the time to live itself in ms (-1: none), for a counter; ARGV[4]: now, unix ms.
-- Returns 1 when the key existed, else 0: like Redis's EXPIRE on an expired key, 0 for a value kept only for fail-safe
-- reads (see live.lua), which is left as it is.
--#include stretch.lua
--#include live.lua
if not live(KEYS[1], tonumber(ARGV[4])) then return 0 end
local v = redis.call('GET', KEYS[1])
if string.len(v) >= 11 and string.byte(v, 1) == 165 then
  local px = tonumber(ARGV[2])
  v = string.sub(v, 1, 3) .. struct.pack('<i8', tonumber(ARGV[1])) .. string.sub(v, 12)
  if px < 0 then redis.call('SET', KEYS[1], v) else redis.call('SET', KEYS[1], v, 'PX', px) end
  if KEYS[2] and bit.band(string.byte(v, 3), 64) ~= 0 then
    stretch(KEYS[2], px, redis.call('PTTL', KEYS[2]))
    for _, g in ipairs(redis.call('SMEMBERS', KEYS[2])) do stretch(g, px, redis.call('PTTL', g)) end
  end
elseif tonumber(ARGV[3]) < 0 then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
