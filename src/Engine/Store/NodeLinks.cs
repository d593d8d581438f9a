namespace Strata.Engine;

/// <summary>
/// The fields of a <see cref="Node{TValue}"/> that only writers use, under the segment lock: its place in the eviction
/// list and in the timer wheel, its weight and its write stamp. Kept apart so the fields readers use stay together.
/// </summary>
internal struct NodeLinks<TValue>
{
    internal Node<TValue>? Newer;
    internal Node<TValue>? Older;
    internal Node<TValue>? WheelPrevious;
    internal Node<TValue>? WheelNext;
    internal long Weight;
    internal long Stamp;   // segment-wide write stamp: changes on every write, for optimistic updates
    internal int WheelSlot;
}
