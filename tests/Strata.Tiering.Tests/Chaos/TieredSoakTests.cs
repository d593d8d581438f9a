using System.Threading.Tasks;
using Strata.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Strata.Tiering.Tests.Chaos;

/// <summary>The short version of the tiered soak (<c>Strata.Fuzz --tiered-soak</c> runs it long).</summary>
public sealed class TieredSoakTests(SingleRedis redis, ITestOutputHelper output) : IClassFixture<SingleRedis>
{
    [Fact]
    public async Task TwoInstancesUnderMixedLoad_AfterQuiescence_NoL1HoldsAValueRedisDoesNot()
    {
        TieredSoak.Result result = await TieredSoak.RunAsync(redis.Configuration, operationsPerThread: 3000);

        output.WriteLine($"tiered soak: {result.Operations:N0} operations in {result.Seconds:F1} s, {result.InvalidationsDelivered:N0} invalidations delivered, {result.KeysWithValues} of {result.Keys} keys hold values at the end");
        Assert.True(result.Exceptions == 0, result.FirstProblem);
        Assert.True(result.StaleReads == 0, result.FirstProblem);
        Assert.True(result.KeysWithValues > 0 && result.InvalidationsDelivered > 0, "the soak wrote values and delivered invalidations");
    }
}
