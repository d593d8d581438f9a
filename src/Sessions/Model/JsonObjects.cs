using System;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.Sessions;

/// <summary>
/// The JSON objects of the model (a session's context, a message's metadata): stored and cached as text, handed out as
/// immutable <see cref="JsonElement"/>s that own their memory, so a cached value can be shared by every reader.
/// </summary>
internal static class JsonObjects
{
    public const string Empty = "{}";

    /// <summary>Parses the text of a JSON object into an element that owns its memory.</summary>
    public static JsonElement ParseObject(string json, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(json, parameterName);
        JsonElement element;
        try
        {
            element = JsonSerializer.Deserialize<JsonElement>(json);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Not valid JSON: {ex.Message}", parameterName, ex);
        }

        return element.ValueKind == JsonValueKind.Object ? element : throw new ArgumentException($"A JSON object is expected, not {element.ValueKind}.", parameterName);
    }

    public static string ToText(JsonObject? value) => value is null ? Empty : value.ToJsonString();

    /// <summary>Top-level merge: each property of <paramref name="patch"/> replaces (or adds) the same property of <paramref name="current"/>.</summary>
    public static string Merge(string current, JsonObject patch)
    {
        JsonObject merged = JsonNode.Parse(current) as JsonObject ?? new JsonObject();
        foreach ((string name, JsonNode? value) in patch)
        {
            merged[name] = value?.DeepClone();
        }

        return merged.ToJsonString();
    }
}
