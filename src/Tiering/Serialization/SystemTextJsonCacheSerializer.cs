using System;
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Strata.Tiering;

/// <summary>
/// A serializer over System.Text.Json, for types MemoryPack does not know: what the cache uses by default for every
/// type without <c>[MemoryPackable]</c> (records, plain classes, collections of them).
/// </summary>
/// <remarks>
/// <para>
/// With a <see cref="JsonSerializerContext"/> (source-generated metadata) it needs no reflection, which is what Native
/// AOT and trimmed applications need; the context must know every type cached through it. The default options use
/// reflection only while <see cref="JsonSerializer.IsReflectionEnabledByDefault"/> is true; in an application that
/// turns it off (Native AOT and trimmed ones do by default) they know no type, and a type without metadata throws
/// <see cref="NotSupportedException"/> saying which.
/// </para>
/// <para>
/// The default options are System.Text.Json's general defaults plus one thing a cache needs: properties with a
/// non-public setter are written back on reading, so a class whose state is set through <c>private set</c> reads back
/// as it was written. Polymorphic values need <see cref="JsonDerivedTypeAttribute"/> on the base type, as
/// System.Text.Json asks; without it a value cached as its base type keeps only the base type's properties.
/// </para>
/// </remarks>
public sealed class SystemTextJsonCacheSerializer : ICacheSerializer
{
    private readonly JsonSerializerOptions _options;
    private readonly JsonWriterOptions _writerOptions;

    /// <summary>Creates the serializer with the default options (see the remarks).</summary>
    public SystemTextJsonCacheSerializer()
        : this(s_defaultOptions)
    {
    }

    /// <summary>Creates the serializer with <paramref name="options"/>, used as they are.</summary>
    /// <param name="options">The options; their <see cref="JsonSerializerOptions.TypeInfoResolver"/> supplies the metadata.</param>
    public SystemTextJsonCacheSerializer(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _writerOptions = new JsonWriterOptions { Encoder = options.Encoder, Indented = options.WriteIndented, MaxDepth = options.MaxDepth, SkipValidation = true };
    }

    /// <summary>Creates the serializer over source-generated metadata: no reflection, safe under Native AOT and trimming.</summary>
    /// <param name="context">The context; it must know every type cached through this serializer.</param>
    public SystemTextJsonCacheSerializer(JsonSerializerContext context)
        : this((context ?? throw new ArgumentNullException(nameof(context))).Options)
    {
    }

    /// <summary>Gets the id of System.Text.Json in the envelope: 2.</summary>
    public byte Id => 2;

    /// <summary>Gets the options the serializer uses.</summary>
    public JsonSerializerOptions Options => _options;

    /// <inheritdoc/>
    public void Serialize<T>(T value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new Utf8JsonWriter(destination, _writerOptions);
        JsonSerializer.Serialize(writer, value, TypeInfo<T>());
    }

    /// <inheritdoc/>
    public T? Deserialize<T>(ReadOnlySpan<byte> source) => JsonSerializer.Deserialize(source, TypeInfo<T>());

    private JsonTypeInfo<T> TypeInfo<T>() =>
        _options.TryGetTypeInfo(typeof(T), out JsonTypeInfo? info) ? (JsonTypeInfo<T>)info : throw NoMetadata(typeof(T));

    private static NotSupportedException NoMetadata(Type type) => new(
        $"System.Text.Json has no metadata for {type}. Without reflection (Native AOT, trimming) every type cached as " +
        $"JSON needs source-generated metadata: add [JsonSerializable(typeof({type.Name}))] to a JsonSerializerContext and " +
        "give its Options to TieredCacheOptions.JsonSerializerOptions (or to this serializer), or mark the type [MemoryPackable].");

    private static readonly JsonSerializerOptions s_defaultOptions = CreateDefaultOptions();

    private static JsonSerializerOptions CreateDefaultOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            // Trimmed and Native AOT applications turn reflection off (JsonSerializerIsReflectionEnabledByDefault is
            // false for them): the defaults then know no type, and a value without metadata fails with the message
            // of NoMetadata, where the reflection resolver could not have worked anyway.
            TypeInfoResolver = JsonSerializer.IsReflectionEnabledByDefault ? ReflectionResolver() : JsonTypeInfoResolver.Combine(),
        };
        options.MakeReadOnly();
        return options;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Called only when JsonSerializer.IsReflectionEnabledByDefault is true: the trimmer substitutes false for that feature switch in trimmed and AOT applications and removes the call, as System.Text.Json does for its own default options.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As for IL2026: not reached when reflection is disabled, which Native AOT applications do by default.")]
    private static DefaultJsonTypeInfoResolver ReflectionResolver() => new() { Modifiers = { SetThroughNonPublicSetters } };

    /// <summary>Lets a property with a private or protected setter be set on reading, as it was when written.</summary>
    private static void SetThroughNonPublicSetters(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (JsonPropertyInfo property in type.Properties)
        {
            if (property.Set is null && property.AttributeProvider is PropertyInfo declared && declared.GetSetMethod(nonPublic: true) is { } setter)
            {
                property.Set = (target, value) => setter.Invoke(target, [value]);
            }
        }
    }
}
