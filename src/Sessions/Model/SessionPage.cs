using System;
using System.Collections.Generic;
using MemoryPack;

namespace Strata.Sessions;

/// <summary>One page of a user's sessions, the most recently active first.</summary>
[MemoryPackable]
public sealed partial class SessionPage
{
    /// <summary>Creates a page.</summary>
    [MemoryPackConstructor]
    public SessionPage(IReadOnlyList<ChatSession> items, int page, int pageSize, int totalCount)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(totalCount);
        Items = items;
        Page = page;
        PageSize = pageSize;
        TotalCount = totalCount;
    }

    /// <summary>Gets the sessions of this page.</summary>
    public IReadOnlyList<ChatSession> Items { get; }

    /// <summary>Gets the page number, from 1.</summary>
    public int Page { get; }

    /// <summary>Gets the page size asked for.</summary>
    public int PageSize { get; }

    /// <summary>Gets the number of sessions over all pages.</summary>
    public int TotalCount { get; }

    /// <summary>Gets the number of pages: 0 when the user has no session.</summary>
    [MemoryPackIgnore]
    public int TotalPages => (int)(((long)TotalCount + PageSize - 1) / PageSize);
}
