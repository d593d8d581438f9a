namespace Strata.Engine;

/// <summary>
/// One chain head. Buckets are an array of this struct rather than of <see cref="Node{TValue}"/> references because a
/// <c>ref</c> to an element of an array of references makes the runtime check array covariance on every access (a
/// helper call on the read path); an element of an array of structs needs no such check.
/// </summary>
internal struct Bucket<TValue>
{
    /// <summary>The first node of the chain; published with <c>Volatile.Write</c>, read with <c>Volatile.Read</c>.</summary>
    internal Node<TValue>? Head;
}
