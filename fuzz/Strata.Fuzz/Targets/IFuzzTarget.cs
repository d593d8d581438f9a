using System;

namespace Strata.Fuzz.Targets;

/// <summary>
/// One fuzz target: takes any bytes and throws <see cref="FuzzFailure"/> (or lets an unexpected exception escape)
/// when the code under test misbehaves. AFL++ sees a throw as a crash; the replay mode counts it as a failure.
/// </summary>
internal interface IFuzzTarget
{
    /// <summary>The target's name: its corpus is <c>fuzz/corpus/{Name}</c>.</summary>
    string Name { get; }

    void Run(ReadOnlySpan<byte> data);
}

/// <summary>A disagreement with the oracle or a broken invariant found by a target.</summary>
internal sealed class FuzzFailure(string message) : Exception(message);
