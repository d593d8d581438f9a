using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Strata.Engine;
using Strata.Fuzz.Targets;
using Strata.Testing;

namespace Strata.Fuzz;

/// <summary>
/// The fuzz targets. <c>Strata.Fuzz TARGET</c> runs one under AFL++ (see fuzz/README.md); <c>Strata.Fuzz --replay
/// [TARGET] [--random N]</c> runs, without AFL, every file of <c>fuzz/corpus/TARGET</c> and then N random inputs
/// (seeded, so a failure repeats), for every target when none is named: what ./test.sh runs. A failing input is
/// printed in hex and the exit code is 1; an input that runs past 10 s stops the process with exit code 3. Half the
/// "random" inputs are mutations of corpus files. <c>--write-seeds DIR</c> writes the seed corpus; <c>--soak</c> runs the
/// LocalCache soak (see <c>LocalSoak</c>); <c>--tiered-soak --redis HOST:PORT</c> the two-instance soak (see <c>TieredSoak</c>).
/// </summary>
internal static class Program
{
    private static readonly IFuzzTarget[] s_targets = [new GlobTarget(), new EnvelopeTarget(), new BackplaneTarget(), new OperationsTarget()];

    private static bool s_verbose;

    private static int Main(string[] args)
    {
        s_verbose = args.Contains("--verbose");
        if (args.Length >= 1 && args[0] == "--soak")
        {
            int operationsAt = Array.IndexOf(args, "--operations");
            long operations = operationsAt >= 0 && operationsAt + 1 < args.Length ? long.Parse(args[operationsAt + 1], System.Globalization.CultureInfo.InvariantCulture) : 10_000_000;
            return Soak(operations);
        }

        if (args.Length >= 1 && args[0] == "--tiered-soak")
        {
            int redisAt = Array.IndexOf(args, "--redis");
            int operationsAt = Array.IndexOf(args, "--operations");
            if (redisAt < 0 || redisAt + 1 >= args.Length)
            {
                return Usage();
            }

            long operations = operationsAt >= 0 && operationsAt + 1 < args.Length ? long.Parse(args[operationsAt + 1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
            return TieredSoak(args[redisAt + 1], operations);
        }

        if (args.Length == 2 && args[0] == "--write-seeds")
        {
            Seeds.Write(args[1]);
            return 0;
        }

        if (args.Length >= 1 && args[0] == "--replay")
        {
            int randomAt = Array.IndexOf(args, "--random");
            int random = randomAt >= 0 && randomAt + 1 < args.Length ? int.Parse(args[randomAt + 1], System.Globalization.CultureInfo.InvariantCulture) : 1000;
            string? only = args.Length >= 2 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : null;
            IFuzzTarget[] targets = s_targets.Where(t => only is null || t.Name == only).ToArray();
            if (targets.Length == 0)
            {
                return Usage();
            }

            int failed = 0;
            foreach (IFuzzTarget target in targets)
            {
                failed += Replay(target, random) ? 0 : 1;
            }

            return failed == 0 ? 0 : 1;
        }

        IFuzzTarget? fuzzed = args.Length == 1 ? s_targets.FirstOrDefault(t => t.Name == args[0]) : null;
        if (fuzzed is null)
        {
            return Usage();
        }

        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            fuzzed.Run(buffer.ToArray());
        });
        return 0;
    }

    /// <summary>
    /// The LocalCache soak: <paramref name="operations"/> operations in each of five configurations (2 to 8 threads, one
    /// to sixteen stripes, unbounded and bounded down to 64 entries), each ending with the integrity check.
    /// </summary>
    private static int Soak(long operations)
    {
        (int Threads, int Stripes, int? Bound)[] configurations = [(1, 1, null), (2, 1, null), (4, 4, 500), (8, 16, 2000), (2, 2, 64), (8, 8, null)];
        long total = 0;
        foreach ((int threads, int stripes, int? bound) in configurations)
        {
            LocalSoak.Result result = LocalSoak.RunAsync(threads, stripes, bound, operations / threads).GetAwaiter().GetResult();
            total += result.Operations;
            Console.WriteLine($"soak: {threads} threads, {stripes} stripes, bound {bound?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}: " +
                $"{result.Operations:N0} operations in {result.Seconds:F1} s, {result.Statistics.Evictions:N0} evictions, {result.Statistics.Expirations:N0} expirations, valid");
        }

        Console.WriteLine($"soak: {total:N0} operations, every run valid");
        return 0;
    }

    /// <summary>
    /// The tiered soak: two instances with the backplane, two threads each, <paramref name="operations"/> operations in
    /// all, then every key read through both instances and against Redis.
    /// </summary>
    private static int TieredSoak(string redis, long operations)
    {
        Strata.Testing.TieredSoak.Result result = Strata.Testing.TieredSoak.RunAsync(redis, operations / 4).GetAwaiter().GetResult();
        Console.WriteLine($"tiered soak: {result.Operations:N0} operations in {result.Seconds:F1} s, {result.InvalidationsDelivered:N0} invalidations delivered, " +
            $"{result.KeysWithValues} of {result.Keys} keys hold values at the end; exceptions {result.Exceptions}, stale reads after quiescence {result.StaleReads}");
        if (result.Exceptions != 0 || result.StaleReads != 0)
        {
            Console.WriteLine("tiered soak: FAILED: " + result.FirstProblem);
            return 1;
        }

        return 0;
    }

    private static bool Replay(IFuzzTarget target, int random)
    {
        string directory = Path.Combine(CorpusRoot(), target.Name);
        string[] files = Directory.Exists(directory) ? Directory.GetFiles(directory).Order(StringComparer.Ordinal).ToArray() : [];
        var generator = new Random(20261123);
        var watch = Stopwatch.StartNew();
        int runs = 0;
        byte[][] corpus = files.Select(File.ReadAllBytes).ToArray();
        foreach (byte[] input in corpus.Concat(Enumerable.Range(0, random).Select(i => i % 2 == 1 && corpus.Length > 0 ? Mutate(corpus[generator.Next(corpus.Length)], generator) : RandomInput(generator))))
        {
            if (!RunOne(target, input))
            {
                return false;
            }

            runs++;
        }

        Console.WriteLine($"{target.Name}: {files.Length} corpus files and {random} random inputs passed ({runs} runs, {watch.Elapsed.TotalSeconds:F1} s)");
        return true;
    }

    private static bool RunOne(IFuzzTarget target, byte[] input)
    {
        if (s_verbose)
        {
            Console.Error.WriteLine($"{target.Name}: {Convert.ToHexString(input)}"); // an input that kills the process is the last line
        }

        Watchdog.Start(target.Name, input);
        try
        {
            target.Run(input);
            return true;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"{target.Name}: FAILED on {Convert.ToHexString(input)}");
            Console.Error.WriteLine(ex);
            return false;
        }
        finally
        {
            Watchdog.Stop();
        }
    }

    /// <summary>A corpus file with a few bytes changed, dropped or repeated: deeper than random bytes reach.</summary>
    private static byte[] Mutate(byte[] seed, Random generator)
    {
        var bytes = new System.Collections.Generic.List<byte>(seed);
        for (int edits = generator.Next(1, 5); edits > 0; edits--)
        {
            int at = bytes.Count == 0 ? 0 : generator.Next(bytes.Count);
            switch (generator.Next(3))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] = (byte)generator.Next(256);
                    break;
                case 1 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                default:
                    bytes.Insert(at, (byte)generator.Next(256));
                    break;
            }
        }

        return bytes.ToArray();
    }

    private static byte[] RandomInput(Random generator)
    {
        byte[] input = new byte[generator.Next(0, 257)];
        generator.NextBytes(input);
        return input;
    }

    /// <summary>The repository's fuzz/corpus, found upwards from the program's directory.</summary>
    private static string CorpusRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "fuzz", "corpus");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("fuzz/corpus was not found above " + AppContext.BaseDirectory);
    }

    private static int Usage()
    {
        Console.Error.WriteLine($"usage: Strata.Fuzz <{string.Join('|', s_targets.Select(t => t.Name))}>   (under afl-fuzz)");
        Console.Error.WriteLine("       Strata.Fuzz --replay [target] [--random N] [--verbose]");
        Console.Error.WriteLine("       Strata.Fuzz --write-seeds <dir>");
        Console.Error.WriteLine("       Strata.Fuzz --soak [--operations N]   (per configuration; default 10,000,000)");
        Console.Error.WriteLine("       Strata.Fuzz --tiered-soak --redis HOST:PORT [--operations N]   (in all; default 1,000,000)");
        return 2;
    }

    /// <summary>One background thread that stops the process when the input being run takes more than 10 s (a hang).</summary>
    private static class Watchdog
    {
        private static readonly Lock s_gate = new();
        private static string? s_target;
        private static byte[]? s_input;
        private static long s_started;
        private static Thread? s_thread;

        public static void Start(string target, byte[] input)
        {
            lock (s_gate)
            {
                (s_target, s_input, s_started) = (target, input, Stopwatch.GetTimestamp());
                s_thread ??= new Thread(Watch) { IsBackground = true, Name = "fuzz watchdog" };
                if (!s_thread.IsAlive)
                {
                    s_thread.Start();
                }
            }
        }

        public static void Stop()
        {
            lock (s_gate)
            {
                s_input = null;
            }
        }

        private static void Watch()
        {
            while (true)
            {
                Thread.Sleep(500);
                lock (s_gate)
                {
                    if (s_input is not null && Stopwatch.GetElapsedTime(s_started) > TimeSpan.FromSeconds(10))
                    {
                        Console.Error.WriteLine($"{s_target}: an input ran past 10 s (a hang): {Convert.ToHexString(s_input)}");
                        Environment.Exit(3);
                    }
                }
            }
        }
    }
}
