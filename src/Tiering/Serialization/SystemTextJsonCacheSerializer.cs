using System;
using System.Buffers;
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
/// AOT and trimmed applications need; the context must know every type cached through it.
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

    private JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)_options.GetTypeInfo(typeof(T));

    private static readonly JsonSerializerOptions s_defaultOptions = CreateDefaultOptions();

    private static JsonSerializerOptions CreateDefaultOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { SetThroughNonPublicSetters } },
        };
        options.MakeReadOnly();
        return options;
    }

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
