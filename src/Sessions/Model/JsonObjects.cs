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
            using JsonDocument document = JsonDocument.Parse(json); // the parser, not the serializer: no reflection
            element = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Not valid JSON: {ex.Message}", parameterName, ex);
        }

        return element.ValueKind == JsonValueKind.Object ? element : throw new ArgumentException($"A JSON object is expected, not {element.ValueKind}.", parameterName);
    }

    /// <summary>
    /// The text of an object to store, within <see cref="SessionRepository.MaxJsonDepth"/> and
    /// <see cref="SessionRepository.MaxJsonLength"/>: what is stored must read back, through every response and cache
    /// entry that nests it further.
    /// </summary>
    /// <exception cref="ArgumentException">The object is too deep or too long; the parameter is <paramref name="parameterName"/>.</exception>
    public static string ToText(JsonObject? value, string parameterName)
    {
        if (value is null)
        {
            return Empty;
        }

        int depth = Depth(value, 1);
        if (depth > SessionRepository.MaxJsonDepth)
        {
            throw new ArgumentException($"JSON nested deeper than {SessionRepository.MaxJsonDepth} levels is not accepted; this is {(depth > MeasuredDepth ? "over " + MeasuredDepth : depth.ToString(System.Globalization.CultureInfo.InvariantCulture))} deep.", parameterName);
        }

        string text = value.ToJsonString();
        return text.Length <= SessionRepository.MaxJsonLength
            ? text
            : throw new ArgumentException($"At most {SessionRepository.MaxJsonLength} chars of JSON are accepted; this is {text.Length}.", parameterName);
    }

    /// <summary>
    /// Top-level merge: each property of <paramref name="patch"/> replaces (or adds) the same property of
    /// <paramref name="current"/>; the result is held to the limits of <see cref="ToText"/> (a merge can only grow it).
    /// </summary>
    /// <exception cref="ArgumentException">The merged context is too long (parameter <c>context</c>).</exception>
    public static string Merge(string current, JsonObject patch)
    {
        JsonObject merged = JsonNode.Parse(current) as JsonObject ?? new JsonObject();
        foreach ((string name, JsonNode? value) in patch)
        {
            merged[name] = value?.DeepClone();
        }

        return ToText(merged, "context");
    }

    /// <summary>How deep a checked object may be measured before the answer is just "too deep".</summary>
    private const int MeasuredDepth = SessionRepository.MaxJsonDepth + 1;

    /// <summary>The nesting of <paramref name="node"/> at <paramref name="depth"/>; stops counting past <see cref="MeasuredDepth"/>.</summary>
    private static int Depth(JsonNode? node, int depth)
    {
        if (depth > MeasuredDepth)
        {
            return depth;
        }

        int deepest = depth;
        switch (node)
        {
            case JsonObject obj:
                foreach ((_, JsonNode? child) in obj)
                {
                    if (child is JsonObject or JsonArray)
                    {
                        deepest = Math.Max(deepest, Depth(child, depth + 1));
                    }
                }

                break;
            case JsonArray array:
                foreach (JsonNode? child in array)
                {
                    if (child is JsonObject or JsonArray)
                    {
                        deepest = Math.Max(deepest, Depth(child, depth + 1));
                    }
                }

                break;
        }

        return deepest;
    }
}
