using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Strata.Benchmarks;

/// <summary>
/// The BenchmarkDotNet suites: <c>dotnet run -c Release --project bench/Strata.Benchmarks -- --filter '*Hit*'</c>.
/// In-process suites (namespace <c>Local</c>) compare Strata with <c>ConcurrentDictionary</c> (the baseline) and the
/// peers a user would pick instead; Redis suites (namespace <c>Tiered</c>) run against a private redis-server (or the one
/// in <c>STRATA_BENCH_REDIS</c>) with a raw StackExchange.Redis call as the baseline. <c>--job dry --inProcess</c> is the
/// smoke run of <c>./test.sh</c>: the exit code is 1 when any benchmark failed to run.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args is ["compression-sizes"])
        {
            Local.CompressionSizes.Print();
            Local.CompressionThreshold.Print();
            return 0;
        }

        if (args is ["compression-memory"])
        {
            Tiered.CompressionMemory.PrintAsync().GetAwaiter().GetResult();
            return 0;
        }

        IEnumerable<Summary> summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
