using System;
using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Strata.Tiering;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of serialized payloads in the L2 envelope: the CPU's instruction where there is
/// one (SSE 4.2 on x64, the CRC extension on Arm64; eight bytes per instruction), a table otherwise.
/// </summary>
internal static class Crc32C
{
    private const uint Polynomial = 0x82F63B78; // reflected Castagnoli
    private static readonly uint[] s_table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        if (Sse42.X64.IsSupported)
        {
            ulong wide = crc;
            for (; data.Length >= 8; data = data[8..])
            {
                wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
            }

            crc = (uint)wide;
            foreach (byte b in data)
            {
                crc = Sse42.Crc32(crc, b);
            }
        }
        else if (Crc32.Arm64.IsSupported)
        {
            for (; data.Length >= 8; data = data[8..])
            {
                crc = Crc32.Arm64.ComputeCrc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            }

            foreach (byte b in data)
            {
                crc = Crc32.ComputeCrc32C(crc, b);
            }
        }
        else
        {
            foreach (byte b in data)
            {
                crc = s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }
        }

        return ~crc;
    }

    /// <summary>The table-driven computation alone, for tests that check the instructions give the same answer.</summary>
    internal static uint ComputeWithTable(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        foreach (byte b in data)
        {
            crc = s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint entry = i;
            for (int bit = 0; bit < 8; bit++)
            {
                entry = (entry & 1) != 0 ? (entry >> 1) ^ Polynomial : entry >> 1;
            }

            table[i] = entry;
        }

        return table;
    }
}
