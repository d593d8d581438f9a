using System;
using System.Buffers.Binary;
using System.Numerics;

namespace Strata.Tiering;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of serialized payloads in the L2 envelope. <see cref="BitOperations.Crc32C(uint, ulong)"/>
/// uses the CPU's instruction where there is one (SSE 4.2 on x64, the CRC extension on Arm64) and a table otherwise;
/// this feeds it eight bytes at a time, then the tail byte by byte.
/// </summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        for (; data.Length >= 8; data = data[8..])
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
