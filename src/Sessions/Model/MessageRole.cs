using System.Text.Json.Serialization;

namespace Strata.Sessions;

/// <summary>Who wrote a message. In JSON: <c>user</c>, <c>assistant</c>, <c>system</c>, <c>tool</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MessageRole>))]
public enum MessageRole
{
    /// <summary>The person talking to the agent.</summary>
    [JsonStringEnumMemberName("user")]
    User = 0,

    /// <summary>The agent.</summary>
    [JsonStringEnumMemberName("assistant")]
    Assistant = 1,

    /// <summary>Instructions given to the agent.</summary>
    [JsonStringEnumMemberName("system")]
    System = 2,

    /// <summary>The output of a tool the agent called.</summary>
    [JsonStringEnumMemberName("tool")]
    Tool = 3,
}
