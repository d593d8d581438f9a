namespace Strata.Tiering;

/// <summary>A kind of Redis round trip, as metrics and spans name it; the names are built once.</summary>
internal sealed class RemoteOperation
{
    internal static readonly RemoteOperation Get = new("get");
    internal static readonly RemoteOperation Set = new("set");
    internal static readonly RemoteOperation Remove = new("remove");
    internal static readonly RemoteOperation GetAndRemove = new("get_and_remove");
    internal static readonly RemoteOperation Expire = new("expire");
    internal static readonly RemoteOperation TimeToLive = new("ttl");
    internal static readonly RemoteOperation Ping = new("ping");
    internal static readonly RemoteOperation GetMany = new("get_many");
    internal static readonly RemoteOperation SetMany = new("set_many");
    internal static readonly RemoteOperation RemoveMany = new("remove_many");
    internal static readonly RemoteOperation RemoveByPattern = new("remove_by_pattern");
    internal static readonly RemoteOperation Clear = new("clear");
    internal static readonly RemoteOperation Increment = new("increment");
    internal static readonly RemoteOperation Update = new("update");
    internal static readonly RemoteOperation GroupQuery = new("group_query");
    internal static readonly RemoteOperation GroupRemove = new("group_remove");
    internal static readonly RemoteOperation Invalidate = new("invalidate");
    internal static readonly RemoteOperation Subscribe = new("subscribe");

    private RemoteOperation(string name)
    {
        Name = name;
        SpanName = "strata.l2." + name;
    }

    /// <summary>Gets the value of the <c>operation</c> tag.</summary>
    internal string Name { get; }

    /// <summary>Gets the span's name.</summary>
    internal string SpanName { get; }
}
