namespace Strata.Engine;

/// <summary>
/// The fields of a <see cref="Node{TValue}"/> that only writers use, under the segment lock: its place in the eviction
/// list and in the timer wheel, and its weight. Kept apart so the fields readers use stay together, and so an overwrite,
/// which changes none of these, writes only the node's first cache line.
/// </summary>
internal struct NodeLinks<TValue>
{
    internal Node<TValue>? Newer;
    internal Node<TValue>? Older;
    internal Node<TValue>? WheelPrevious;
    internal Node<TValue>? WheelNext;
    internal long Weight;
    internal bool InMain; // in the main eviction queue rather than the window (see WindowedSieve)
    internal int WheelSlot;
}
