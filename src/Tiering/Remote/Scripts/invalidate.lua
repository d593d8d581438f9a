-- Removes values and whole groups (indexes, tags) in one step and publishes the invalidation of everything it removed,
-- so that a removal by tag, or a write that makes keys and tags stale at once, costs one round trip.
-- A group member is removed when trusted (see trusted.lua): its value, its group record, and its listing in its other
-- sets; then the group set itself goes.
-- KEYS[1..n]: the values to remove, n = ARGV[3]; KEYS[n+1..]: the group sets.
-- ARGV[1]: the key prefix; ARGV[2]: the scope (a namespace's 'name:', or empty); ARGV[3]: n;
-- ARGV[4]: the backplane channel, empty for none; ARGV[5]: the 18-byte header of a 'keys' invalidation message
-- (version, kind 2, sender id), to which the count and the keys are appended in the message's format (little-endian
-- int32 count, then per key an int32 length and the UTF-8 bytes); ARGV[6]: now, unix ms.
-- Returns {the number of values of KEYS[1..n] that existed (a value kept only for fail-safe reads, see live.lua, had
-- expired: removed, not counted), then the cache keys of the removed group members}.
--#include trusted.lua
--#include live.lua
local n = tonumber(ARGV[3])
local prefix = string.len(ARGV[1])
local existed = 0
local removed = {}
local now = tonumber(ARGV[6])
for i = 1, n do
  if live(KEYS[i], now) then existed = existed + 1 end
  redis.call('UNLINK', KEYS[i])
  removed[#removed + 1] = string.sub(KEYS[i], prefix + 1)
end
local members = {}
for i = n + 1, #KEYS do
  for _, m in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    if trusted(KEYS[i], m, true) then
      local record = ARGV[1] .. ARGV[2] .. '__grp:' .. string.sub(m, string.len(ARGV[2]) + 1)
      for _, g in ipairs(redis.call('SMEMBERS', record)) do
        if g ~= KEYS[i] then redis.call('SREM', g, m) end
      end
      redis.call('DEL', record, ARGV[1] .. m)
      members[#members + 1] = m
      removed[#removed + 1] = m
    end
  end
  redis.call('DEL', KEYS[i])
end
if ARGV[4] ~= '' and #removed > 0 then
  local message = {ARGV[5], struct.pack('<i4', #removed)}
  for _, k in ipairs(removed) do
    message[#message + 1] = struct.pack('<i4', string.len(k))
    message[#message + 1] = k
  end
  redis.call('PUBLISH', ARGV[4], table.concat(message))
end
table.insert(members, 1, existed)
return members
