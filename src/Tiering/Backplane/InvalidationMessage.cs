using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace Strata.Tiering;

/// <summary>What an invalidation tells the other instances to drop from their L1.</summary>
internal enum InvalidationKind : byte
{
    Key = 1,
    Keys = 2,
    Pattern = 3,
    All = 4,
}

/// <summary>
/// The backplane's message: which instance sent it and which keys to drop. Binary, versioned, decoded defensively.
/// </summary>
/// <remarks>
/// <code>
/// offset 0    version, 1
/// offset 1    kind (1 key, 2 keys, 3 pattern, 4 all)
/// offset 2    sender instance id, 16 bytes
/// offset 18   key: UTF-8 | keys: int32 count, then per key int32 length and UTF-8 | pattern: UTF-8 | all: nothing
/// </code>
/// Integers are little-endian. <see cref="TryDecode"/> never throws and refuses trailing bytes and impossible counts.
/// </remarks>
internal readonly record struct InvalidationMessage(Guid Sender, InvalidationKind Kind, IReadOnlyList<string> Keys)
{
    internal const byte Version = 1;
    private const int HeaderSize = 18;
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The key, or the pattern, of a single-key or pattern message.</summary>
    internal string Single => Keys[0];

    /// <summary>
    /// The 18 bytes a message of <paramref name="kind"/> from <paramref name="sender"/> starts with, for a script that
    /// writes the rest itself (<c>invalidate.lua</c>).
    /// </summary>
    internal static byte[] Header(Guid sender, InvalidationKind kind)
    {
        var header = new byte[HeaderSize];
        WriteHeader(header, sender, kind);
        return header;
    }

    internal void Encode(IBufferWriter<byte> destination)
    {
        WriteHeader(destination.GetSpan(HeaderSize), Sender, Kind);
        destination.Advance(HeaderSize);
        switch (Kind)
        {
            case InvalidationKind.Key:
            case InvalidationKind.Pattern:
                Encoding.UTF8.GetBytes(Single.AsSpan(), destination);
                break;
            case InvalidationKind.Keys:
                WriteInt32(destination, Keys.Count);
                foreach (string key in Keys)
                {
                    WriteInt32(destination, Encoding.UTF8.GetByteCount(key));
                    Encoding.UTF8.GetBytes(key.AsSpan(), destination);
                }

                break;
        }
    }

    internal static bool TryDecode(ReadOnlySpan<byte> source, out InvalidationMessage message)
    {
        message = default;
        if (source.Length < HeaderSize || source[0] != Version)
        {
            return false;
        }

        var kind = (InvalidationKind)source[1];
        var sender = new Guid(source[2..HeaderSize]);
        ReadOnlySpan<byte> body = source[HeaderSize..];
        try
        {
            switch (kind)
            {
                case InvalidationKind.Key:
                case InvalidationKind.Pattern:
                    message = new InvalidationMessage(sender, kind, [s_strictUtf8.GetString(body)]);
                    return true;
                case InvalidationKind.All:
                    message = new InvalidationMessage(sender, kind, []);
                    return body.IsEmpty;
                case InvalidationKind.Keys:
                    if (body.Length < 4)
                    {
                        return false;
                    }

                    int count = BinaryPrimitives.ReadInt32LittleEndian(body);
                    body = body[4..];
                    if (count < 0 || count > body.Length / 4)
                    {
                        return false; // each key needs at least its 4-byte length
                    }

                    var keys = new string[count];
                    for (int i = 0; i < count; i++)
                    {
                        if (body.Length < 4)
                        {
                            return false;
                        }

                        int length = BinaryPrimitives.ReadInt32LittleEndian(body);
                        if (length < 0 || length > body.Length - 4)
                        {
                            return false;
                        }

                        keys[i] = s_strictUtf8.GetString(body.Slice(4, length));
                        body = body[(4 + length)..];
                    }

                    message = new InvalidationMessage(sender, kind, keys);
                    return body.IsEmpty;
                default:
                    return false;
            }
        }
        catch (DecoderFallbackException)
        {
            message = default;
            return false;
        }
    }

    private static void WriteHeader(Span<byte> header, Guid sender, InvalidationKind kind)
    {
        header[0] = Version;
        header[1] = (byte)kind;
        sender.TryWriteBytes(header[2..HeaderSize]);
    }

    private static void WriteInt32(IBufferWriter<byte> destination, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination.GetSpan(4), value);
        destination.Advance(4);
    }
}
