-- A function for scripts that read or remove the members of a group set (an index value or a tag).
-- trusted(set, m, header): the value of member m of `set` if the membership is trusted, else nil after removing m from
-- the set. A membership is trusted when the member's value is our envelope (magic byte 165) with the indexed flag (bit 6
-- of byte 3: its last write recorded its groups) and its group record lists the set; anything else (an expired or
-- removed value, one overwritten without indexes or with others) is pruned where it is met.
-- With `header`, reads only the 11-byte envelope header. ARGV[1] must be the key prefix and ARGV[2] the scope (a
-- namespace's 'name:', or empty); members are full cache keys, so the record of m is prefix .. scope .. '__grp:' .. (m
-- without the scope).
local function trusted(set, m, header)
  local k = ARGV[1] .. m
  local v
  if header then v = redis.call('GETRANGE', k, 0, 10) else v = redis.call('GET', k) end
  if v and string.len(v) >= 11 and string.byte(v, 1) == 165 and bit.band(string.byte(v, 3), 64) ~= 0
     and redis.call('SISMEMBER', ARGV[1] .. ARGV[2] .. '__grp:' .. string.sub(m, string.len(ARGV[2]) + 1), set) == 1 then
    return v
  end
  redis.call('SREM', set, m)
  return nil
end
