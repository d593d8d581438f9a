using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace Strata.Throughput;

/// <summary>
/// <c>--traces-selftest</c>, run by <c>./test.sh</c>: writes a small trace in each recorded format (gzip text with a
/// <c>*</c> line and a blank line; xz big-endian int32 with a negative key) into a temporary folder laid out as
/// <c>../shared/traces</c> is, reads them back through <see cref="RecordedTraces.Load"/>, checks the keys, renumbered
/// in order of first access, and replays them. Needs no recorded trace, so the repository tests its readers itself.
/// </summary>
internal static class TraceReaderSelfTest
{
    public static int Run()
    {
        string folder = Path.Combine(Path.GetTempPath(), "strata-traces-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "lirs"));
            Directory.CreateDirectory(Path.Combine(folder, "cache2k"));
            using (var gzip = new GZipStream(File.Create(Path.Combine(folder, "lirs", "text.trace.gz")), CompressionLevel.Optimal))
            {
                gzip.Write(Encoding.ASCII.GetBytes("5\n7\n*\n5\n\n900000000000\n7\n"));
            }

            int[] bigEndian = [100, -1, 100, 2_000_000_000, -1];
            byte[] raw = new byte[bigEndian.Length * 4];
            for (int i = 0; i < bigEndian.Length; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(i * 4), bigEndian[i]);
            }

            Xz(raw, Path.Combine(folder, "cache2k", "binary.trace.xz"));

            var loaded = RecordedTraces.Load(folder).ToDictionary(t => t.Name, t => t.Requests);
            Check(loaded.Keys.Order(StringComparer.Ordinal).SequenceEqual(["binary", "text"]), $"one trace a file, named by it (got {string.Join(", ", loaded.Keys)})");
            Check(loaded["text"].SequenceEqual([0, 1, 0, 2, 1]), $"the gzip text trace, '*' and blank lines skipped, keys renumbered (got {string.Join(' ', loaded["text"])})");
            Check(loaded["binary"].SequenceEqual([0, 1, 0, 2, 1]), $"the xz big-endian trace, keys renumbered (got {string.Join(' ', loaded["binary"])})");
            double worst = HitRatioSimulator.RunRecorded(folder);
            Check(!double.IsInfinity(worst) && !double.IsNaN(worst), "both replayed through every policy");
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Xz(byte[] raw, string path)
    {
        using var xz = Process.Start(new ProcessStartInfo("xz", ["-z", "-c"]) { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        using (FileStream file = File.Create(path))
        {
            var copy = xz.StandardOutput.BaseStream.CopyToAsync(file);
            xz.StandardInput.BaseStream.Write(raw);
            xz.StandardInput.Close();
            copy.Wait();
        }

        xz.WaitForExit();
        Check(xz.ExitCode == 0, "xz compressed the test trace");
    }

    private static void Check(bool condition, string what)
    {
        Console.WriteLine($"trace readers: {(condition ? "ok" : "FAILED")}: {what}");
        if (!condition)
        {
            Environment.Exit(1);
        }
    }
}
