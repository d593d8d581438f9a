-- The trusted members of a group set that are still fresh.
-- KEYS[1]: the set. ARGV[1]: the key prefix; ARGV[2]: the scope; ARGV[3]: '1' for member, value pairs, '0' for
-- members only; ARGV[4]: now, unix ms (a value past its logical expiry is kept for fail-safe reads but not listed).
-- Returns {member, value, member, value, ...} or {member, member, ...}.
--#include trusted.lua
local out = {}
local now = tonumber(ARGV[4])
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = trusted(KEYS[1], m, ARGV[3] == '0')
  if v then
    local expiry = struct.unpack('<i8', v, 4)
    if expiry == 0 or expiry > now then
      out[#out + 1] = m
      if ARGV[3] == '1' then out[#out + 1] = v end
    end
  end
end
return out
