-- Functions for scripts that answer as Redis would about a key whose value may be kept only for fail-safe reads.
-- envelope(k): whether key k exists, and, when it holds our envelope (magic byte 165), its logical expiry (the '<i8'
-- unix ms of bytes 4-11, 0 for none); nil for anything else (a counter, another type).
local function envelope(k)
  local t = redis.call('TYPE', k).ok
  if t == 'none' then return false, nil end
  if t ~= 'string' then return true, nil end
  local h = redis.call('GETRANGE', k, 0, 10)
  if string.len(h) < 11 or string.sub(h, 1, 1) ~= '\165' then return true, nil end
  return true, struct.unpack('<i8', h, 4)
end
-- live(k, now): true when key k exists and is not an envelope past its logical expiry at `now` (unix ms, the caller's
-- clock, which wrote the expiry). Redis keeps such a value for the fail-safe window, but for every answer other than a
-- fail-safe read it has expired.
local function live(k, now)
  local exists, expiry = envelope(k)
  if not exists then return false end
  return expiry == nil or expiry == 0 or expiry > now
end
