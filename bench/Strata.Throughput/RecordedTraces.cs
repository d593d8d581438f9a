using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace Strata.Throughput;

/// <summary>
/// Readers of recorded access traces, in the two formats Caffeine's simulator keeps them in: the LIRS set (gzip text,
/// one integer key a line, a line <c>*</c> to skip) and cache2k's (xz, a sequence of 32-bit big-endian integer keys;
/// decompressed by the <c>xz</c> program, from the Debian package <c>xz-utils</c>, since .NET has no xz reader). Keys are
/// renumbered 0..n-1 in order of first access, so a replay's key table is as small as the trace's distinct keys.
/// </summary>
internal static class RecordedTraces
{
    /// <summary>Every <c>lirs/*.trace.gz</c> and <c>cache2k/*.trace.xz</c> under <paramref name="folder"/>, by name.</summary>
    internal static IEnumerable<HitRatioSimulator.Trace> Load(string folder)
    {
        foreach (string file in Files(folder, "lirs", "*.trace.gz"))
        {
            using FileStream stream = File.OpenRead(file);
            yield return new HitRatioSimulator.Trace(Name(file), ReadLirs(stream));
        }

        foreach (string file in Files(folder, "cache2k", "*.trace.xz"))
        {
            yield return new HitRatioSimulator.Trace(Name(file), ReadCache2k(Unxz(file)));
        }
    }

    /// <summary>A LIRS trace: gzip text, one integer a line; blank lines and <c>*</c> lines are skipped.</summary>
    internal static int[] ReadLirs(Stream gzip)
    {
        using var reader = new StreamReader(new GZipStream(gzip, CompressionMode.Decompress), Encoding.ASCII);
        var keys = new Renumbering();
        int number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            ReadOnlySpan<char> text = line.AsSpan().Trim();
            if (text.IsEmpty || text is "*")
            {
                continue;
            }

            if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long key))
            {
                throw new InvalidDataException($"line {number} is not an integer key: '{line}'");
            }

            keys.Add(key);
        }

        return keys.ToArray();
    }

    /// <summary>A cache2k trace once decompressed: 32-bit big-endian integers, nothing else.</summary>
    internal static int[] ReadCache2k(byte[] bytes)
    {
        if (bytes.Length % 4 != 0)
        {
            throw new InvalidDataException($"{bytes.Length} bytes is not a whole number of 32-bit keys");
        }

        var keys = new Renumbering();
        for (int at = 0; at < bytes.Length; at += 4)
        {
            keys.Add(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at, 4)));
        }

        return keys.ToArray();
    }

    private static byte[] Unxz(string file)
    {
        var start = new ProcessStartInfo("xz", ["-dc", file]) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process xz;
        try
        {
            xz = Process.Start(start) ?? throw new InvalidOperationException("xz did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("reading .xz traces needs the xz program (Debian: apt-get install xz-utils)", ex);
        }

        using (xz)
        {
            using var bytes = new MemoryStream();
            xz.StandardOutput.BaseStream.CopyTo(bytes);
            string errors = xz.StandardError.ReadToEnd();
            xz.WaitForExit();
            return xz.ExitCode == 0 ? bytes.ToArray() : throw new InvalidDataException($"xz -dc {file}: {errors.Trim()}");
        }
    }

    private static IEnumerable<string> Files(string folder, string subfolder, string pattern)
    {
        string path = Path.Combine(folder, subfolder);
        return Directory.Exists(path) ? Directory.GetFiles(path, pattern).Order(StringComparer.Ordinal) : [];
    }

    private static string Name(string file) => Path.GetFileName(file).Split('.')[0];

    /// <summary>Gives each distinct key the next number, in order of first access.</summary>
    private sealed class Renumbering
    {
        private readonly Dictionary<long, int> _numbers = [];
        private readonly List<int> _requests = [];

        public void Add(long key)
        {
            if (!_numbers.TryGetValue(key, out int number))
            {
                number = _numbers.Count;
                _numbers.Add(key, number);
            }

            _requests.Add(number);
        }

        public int[] ToArray() => [.. _requests];
    }
}
