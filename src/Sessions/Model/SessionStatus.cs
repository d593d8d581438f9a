using System.Text.Json.Serialization;

namespace Strata.Sessions;

/// <summary>Where a chat session is in its life. In JSON: <c>active</c>, <c>completed</c>, <c>archived</c>, <c>deleted</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SessionStatus>))]
public enum SessionStatus
{
    /// <summary>The conversation goes on.</summary>
    [JsonStringEnumMemberName("active")]
    Active = 0,

    /// <summary>The conversation reached its end.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed = 1,

    /// <summary>Put away, by a user or by the cleanup of idle sessions.</summary>
    [JsonStringEnumMemberName("archived")]
    Archived = 2,

    /// <summary>Soft-deleted: kept in the database, hidden from every read that does not ask for it.</summary>
    [JsonStringEnumMemberName("deleted")]
    Deleted = 3,
}
