-- A function for scripts that answer as Redis would about a key whose value may be kept only for fail-safe reads.
-- live(k, now): true when key k exists and is not our envelope (magic byte 165) past its logical expiry (the '<i8'
-- unix ms of bytes 4-11, 0 for none) at `now` (unix ms, the caller's clock, which wrote the expiry). Redis keeps such
-- a value for the fail-safe window, but for every answer other than a fail-safe read it has expired.
local function live(k, now)
  local t = redis.call('TYPE', k).ok
  if t == 'none' then return false end
  if t ~= 'string' then return true end
  local h = redis.call('GETRANGE', k, 0, 10)
  if string.len(h) < 11 or string.byte(h, 1) ~= 165 then return true end
  local expiry = struct.unpack('<i8', h, 4)
  return expiry == 0 or expiry > now
end
