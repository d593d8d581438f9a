using System;
using Strata.Tiering;

namespace Strata.Fuzz.Targets;

/// <summary>
/// The L2 envelope reader on arbitrary bytes, as Redis could hand them back (another program's value, a truncated
/// write, an older format): it must answer a status, never throw, for raw bytes, strings and MemoryPack values; and
/// what it accepts must read back the same from a rewritten envelope.
/// </summary>
internal sealed class EnvelopeTarget : IFuzzTarget
{
    public string Name => "envelope";

    public void Run(ReadOnlySpan<byte> data)
    {
        ICacheSerializer serializer = MemoryPackCacheSerializer.Instance;
        Read<string>(data, serializer);
        Read<byte[]>(data, serializer);
        Read<int[]>(data, serializer);
        Read<(long, string)>(data, serializer);
    }

    private static void Read<T>(ReadOnlySpan<byte> data, ICacheSerializer serializer)
    {
        EnvelopeStatus status = CacheEnvelope.TryRead(data, serializer, out T? value, out long expiry);
        if (status != EnvelopeStatus.Ok)
        {
            return;
        }

        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        CacheEnvelope.Write(writer, value, expiry, serializer, indexed: false);
        if (CacheEnvelope.TryRead(writer.WrittenSpan, serializer, out T? again, out long againExpiry) != EnvelopeStatus.Ok || againExpiry != expiry
            || !System.Collections.Generic.EqualityComparer<string>.Default.Equals(Describe(value), Describe(again)))
        {
            throw new FuzzFailure($"an accepted {typeof(T).Name} envelope does not read back the same after a rewrite");
        }
    }

    private static string Describe<T>(T? value) => value switch
    {
        null => "null",
        byte[] bytes => Convert.ToHexString(bytes),
        int[] ints => string.Join(',', ints),
        _ => value.ToString() ?? string.Empty,
    };
}
