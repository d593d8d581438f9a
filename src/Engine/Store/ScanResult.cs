using System.Collections.Generic;

namespace Strata.Engine;

/// <summary>One page of a cursor scan over a <see cref="LocalCache{TValue}"/>, as Redis <c>SCAN</c> returns it.</summary>
/// <param name="NextCursor">The cursor to pass to the next call; 0 when the scan is complete.</param>
/// <param name="Keys">The keys of this page that match the pattern; possibly empty even when the scan goes on.</param>
public readonly record struct ScanResult(long NextCursor, IReadOnlyList<string> Keys)
{
    /// <summary>Gets whether this is the last page of the scan.</summary>
    public bool IsComplete => NextCursor == 0;
}
