using System;
using System.Text.Json;
using System.Text.Json.Serialization;
using MemoryPack;

namespace Strata.Sessions;

/// <summary>A message of a chat session. Immutable.</summary>
[MemoryPackable]
public sealed partial class SessionMessage
{
    /// <summary>Creates a message as a store read it; <paramref name="metadataJson"/> must be a JSON object.</summary>
    /// <exception cref="ArgumentException"><paramref name="metadataJson"/> is not the text of a JSON object.</exception>
    [MemoryPackConstructor]
    public SessionMessage(int sequence, MessageRole role, string content, string metadataJson, DateTimeOffset createdAt)
    {
        Sequence = sequence;
        Role = role;
        Content = content;
        MetadataJson = metadataJson;
        Metadata = JsonObjects.ParseObject(metadataJson, nameof(metadataJson));
        CreatedAt = createdAt;
    }

    /// <summary>Gets the message's position in its session: 1 for the first.</summary>
    public int Sequence { get; }

    /// <summary>Gets who wrote the message.</summary>
    public MessageRole Role { get; }

    /// <summary>Gets the text.</summary>
    public string Content { get; }

    /// <summary>Gets the metadata: a JSON object (its source, a tool call id, ...).</summary>
    [MemoryPackIgnore]
    public JsonElement Metadata { get; }

    /// <summary>Gets when the message was added.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The metadata as stored: what the cache serializes.</summary>
    [MemoryPackInclude]
    [JsonIgnore]
    internal string MetadataJson { get; }
}
