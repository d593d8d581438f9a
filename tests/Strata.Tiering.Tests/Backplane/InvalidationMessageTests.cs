using System;
using System.Buffers;
using FsCheck.Xunit;
using Xunit;

namespace Strata.Tiering.Tests.Backplane;

public class InvalidationMessageTests
{
    private static readonly Guid s_sender = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");

    [Fact]
    public void Encode_SingleKey_MatchesGoldenBytes()
    {
        Assert.Equal("01-01-33-22-11-00-55-44-77-66-88-99-AA-BB-CC-DD-EE-FF-6B-3A-31",
            BitConverter.ToString(Encode(new InvalidationMessage(s_sender, InvalidationKind.Key, ["k:1"]))));
    }

    [Theory]
    [InlineData((byte)InvalidationKind.Key, new[] { "user:42" })]
    [InlineData((byte)InvalidationKind.Keys, new[] { "a", "", "ключ", "🔑" })]
    [InlineData((byte)InvalidationKind.Pattern, new[] { "session:*" })]
    [InlineData((byte)InvalidationKind.All, new string[0])]
    public void RoundTrip_EveryKind(byte kindByte, string[] keys)
    {
        var kind = (InvalidationKind)kindByte;
        var message = new InvalidationMessage(s_sender, kind, keys);

        Assert.True(InvalidationMessage.TryDecode(Encode(message), out InvalidationMessage decoded));
        Assert.Equal(s_sender, decoded.Sender);
        Assert.Equal(kind, decoded.Kind);
        Assert.Equal(keys, decoded.Keys);
    }

    [Theory]
    [InlineData("")]
    [InlineData("02-01-33-22-11-00-55-44-77-66-88-99-AA-BB-CC-DD-EE-FF-6B")]             // version 2
    [InlineData("01-09-33-22-11-00-55-44-77-66-88-99-AA-BB-CC-DD-EE-FF-6B")]             // unknown kind
    [InlineData("01-04-33-22-11-00-55-44-77-66-88-99-AA-BB-CC-DD-EE-FF-6B")]             // 'all' with trailing bytes
    [InlineData("01-02-33-22-11-00-55-44-77-66-88-99-AA-BB-CC-DD-EE-FF-FF-FF-FF-7F")]    // two billion keys claimed
    [InlineData("01-02-33-22-11-00-55-44-77-66-88-99-AA-BB-CC-DD-EE-FF-01-00-00-00-09-00-00-00-6B")] // key past the end
    [InlineData("01-01-33-22-11-00-55-44-77-66-88-99-AA-BB-CC-DD-EE-FF-FF-FE")]          // not UTF-8
    public void TryDecode_Malformed_IsRefused(string hex)
    {
        byte[] bytes = hex.Length == 0 ? [] : Convert.FromHexString(hex.Replace("-", "", StringComparison.Ordinal));
        Assert.False(InvalidationMessage.TryDecode(bytes, out _));
    }

    [Property(MaxTest = 2000)]
    public void TryDecode_ArbitraryBytes_NeverThrows(byte[] bytes)
    {
        InvalidationMessage.TryDecode(bytes ?? [], out _);
        byte[] framed = [1, 2, .. new byte[16], .. bytes ?? []];
        InvalidationMessage.TryDecode(framed, out _);
    }

    private static byte[] Encode(InvalidationMessage message)
    {
        var writer = new ArrayBufferWriter<byte>();
        message.Encode(writer);
        return writer.WrittenSpan.ToArray();
    }
}
