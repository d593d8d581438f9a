namespace Strata.Tiering;

/// <summary>
/// The Redis scripts that keep index and tag sets (see <see cref="EntryGroups"/>) atomic with the writes of their
/// members. They touch keys they compute (a member's value and group record), which a single server allows and a
/// cluster does not: on a cluster, index and tag operations are refused.
/// </summary>
/// <remarks>
/// A set member is trusted only when the member's value is our envelope with the indexed flag (bit 6 of byte 3: the
/// last write recorded its groups) and its group record lists the set. Anything else (an expired or removed value, one
/// overwritten without indexes or with others) is removed from the set when a query or a group removal meets it; a set
/// lives at least as long as its longest-lived member, so it never outlives the need for it by much.
/// </remarks>
internal static class GroupScripts
{
    /// <summary>
    /// A Lua function: after a member with Redis life <c>px</c> (-1: none) joins set <c>key</c>, whose PTTL was
    /// <c>t</c> before (-2: it did not exist), makes the set live at least as long.
    /// </summary>
    internal const string Stretch = """
        local function stretch(key, px, t)
          if px < 0 then
            if t >= 0 then redis.call('PERSIST', key) end
          elseif t == -2 or (t >= 0 and t < px) then
            redis.call('PEXPIRE', key, px)
          end
        end

        """;

    /// <summary>
    /// A Lua function: the value of member <c>m</c> of set <c>set</c> if the membership is trusted (see the remarks),
    /// else nil after removing <c>m</c> from the set. ARGV[1] is the key prefix, ARGV[2] the scope. With
    /// <c>header</c>, reads only the 11-byte header.
    /// </summary>
    private const string Trusted = """
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

        """;

    /// <summary>
    /// Writes a value with its groups. KEYS[1]: the value; KEYS[2]: its group record; KEYS[3..]: the group sets.
    /// ARGV[1]: the envelope (indexed flag set); ARGV[2]: PX (-1: none); ARGV[3]: the member (the full cache key).
    /// First takes the key out of the sets of its previous write.
    /// </summary>
    internal const string Set = Stretch + """
        for _, g in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('SREM', g, ARGV[3]) end
        redis.call('DEL', KEYS[2])
        local px = tonumber(ARGV[2])
        if px < 0 then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', px) end
        for i = 3, #KEYS do
          local t = redis.call('PTTL', KEYS[i])
          redis.call('SADD', KEYS[i], ARGV[3])
          redis.call('SADD', KEYS[2], KEYS[i])
          stretch(KEYS[i], px, t)
        end
        if px >= 0 then redis.call('PEXPIRE', KEYS[2], px) end
        return 1
        """;

    /// <summary>
    /// The trusted members of a group set that are still fresh. KEYS[1]: the set. ARGV[1]: the key prefix; ARGV[2]:
    /// the scope; ARGV[3]: '1' to return member, value pairs, '0' for members only; ARGV[4]: now, unix ms (a value
    /// past its logical expiry is kept for fail-safe reads but not listed).
    /// </summary>
    internal const string Query = Trusted + """
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
        """;

    /// <summary>
    /// Removes every trusted member of a group set (value, group record, and its listing in its other sets), then the
    /// set; returns the removed members. KEYS[1]: the set. ARGV[1]: the key prefix; ARGV[2]: the scope.
    /// </summary>
    internal const string Remove = Trusted + """
        local removed = {}
        for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          if trusted(KEYS[1], m, true) then
            local record = ARGV[1] .. ARGV[2] .. '__grp:' .. string.sub(m, string.len(ARGV[2]) + 1)
            for _, g in ipairs(redis.call('SMEMBERS', record)) do
              if g ~= KEYS[1] then redis.call('SREM', g, m) end
            end
            redis.call('DEL', record, ARGV[1] .. m)
            removed[#removed + 1] = m
          end
        end
        redis.call('DEL', KEYS[1])
        return removed
        """;
}
