using System;
using FsCheck.Xunit;
using Strata.Engine;
using Xunit;

namespace Strata.Engine.Tests.Store;

public class KeyEqualityTests
{
    [Property(MaxTest = 2000)]
    public void Equal_AgreesWithOrdinalStringEquality(string stored, string key)
    {
        stored ??= string.Empty;
        key ??= string.Empty;
        bool expected = string.Equals(stored, key, StringComparison.Ordinal);
        Assert.Equal(expected, KeyEquality.Equal(stored, key));
        Assert.Equal(expected, KeyEquality.Equal(stored, key.AsSpan()));
        Assert.True(KeyEquality.Equal(stored, new string(stored.AsSpan())));
    }

    [Fact]
    public void Equal_AtEveryLength_FindsADifferenceAtEveryPosition()
    {
        // Lengths 0 to 40 take every branch (one character, 4-, 8- and 16-byte blocks, the call for longer keys).
        for (int length = 0; length <= 40; length++)
        {
            string stored = Key(length);
            Assert.True(KeyEquality.Equal(stored, new string(stored.AsSpan())), $"length {length}: a copy");
            for (int position = 0; position < length; position++)
            {
                char[] changed = stored.ToCharArray();
                changed[position] = (char)(changed[position] ^ 0x100); // a difference in the high byte only
                Assert.False(KeyEquality.Equal(stored, new string(changed)), $"length {length}, position {position}");
                Assert.False(KeyEquality.Equal(stored, changed.AsSpan()), $"length {length}, position {position}, span");
            }

            Assert.False(KeyEquality.Equal(stored, stored + "x"), $"length {length}: a longer key");
        }
    }

    [Fact]
    public void Equal_ReadsNoCharacterPastTheKey()
    {
        // The looked-up span is the start of a longer buffer whose next characters differ from the stored key's
        // terminator: a comparison that read past the length would see them.
        for (int length = 0; length <= 40; length++)
        {
            string stored = Key(length);
            string buffer = stored + new string('\uffff', 16);
            Assert.True(KeyEquality.Equal(stored, buffer.AsSpan(0, length)), $"length {length}");
        }
    }

    [Fact]
    public void TryGet_CopiesOfKeysOfEveryLength_Hit_AndNeighboursMiss()
    {
        using var cache = new LocalCache<int>();
        for (int length = 0; length <= 40; length++)
        {
            cache.Set(Key(length), length);
        }

        for (int length = 0; length <= 40; length++)
        {
            string copy = new(Key(length).AsSpan());
            Assert.True(cache.TryGet(copy, out int value) && value == length, $"length {length}");
            Assert.True(cache.TryGet(copy.AsSpan(), out value) && value == length, $"length {length}, span");
            Assert.False(cache.TryGet(Key(length) + "?", out _), $"length {length}, longer");
        }
    }

    private static string Key(int length)
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = (char)('a' + (i * 7 % 26));
        }

        return new string(chars);
    }
}
