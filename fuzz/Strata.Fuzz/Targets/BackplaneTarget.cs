using System;
using System.Buffers;
using Strata.Tiering;

namespace Strata.Fuzz.Targets;

/// <summary>
/// The backplane message decoder on arbitrary bytes, as anything published on the channel could be: it must accept or
/// refuse, never throw; and a message it accepts must encode and decode back to the same message.
/// </summary>
internal sealed class BackplaneTarget : IFuzzTarget
{
    public string Name => "backplane";

    public void Run(ReadOnlySpan<byte> data)
    {
        if (!InvalidationMessage.TryDecode(data, out InvalidationMessage message))
        {
            return;
        }

        var writer = new ArrayBufferWriter<byte>();
        message.Encode(writer);
        if (!InvalidationMessage.TryDecode(writer.WrittenSpan, out InvalidationMessage again)
            || again.Kind != message.Kind || again.Sender != message.Sender || !System.Linq.Enumerable.SequenceEqual(again.Keys, message.Keys))
        {
            throw new FuzzFailure($"an accepted {message.Kind} message does not decode back the same after encoding");
        }
    }
}
