using System;
using System.Buffers;
using System.IO;
using System.Linq;
using Strata.Tiering;

namespace Strata.Fuzz;

/// <summary>
/// Writes the seed corpus (<c>Strata.Fuzz --write-seeds DIR</c>): inputs that reach past the first checks of each
/// target, from which AFL++ and the replay's mutations start. The committed fuzz/corpus was made by this.
/// </summary>
internal static class Seeds
{
    private const string GlobAlphabet = "ab*?[]^-\\Ac"; // GlobTarget's byte-to-char map, inverted here

    public static void Write(string root)
    {
        string[][] globs =
        [
            ["a*b", "aab"], ["[a-c]?", "bA"], ["[^a]*", "bbb"], ["\\*a", "*a"], ["*a*b*c", "aXbYc"], ["[z-a]", "c"], ["[a", "a"], ["A*", "aa"],
        ];
        for (int i = 0; i < globs.Length; i++)
        {
            string pattern = globs[i][0], text = globs[i][1];
            byte[] input = new byte[1 + pattern.Length + text.Length];
            input[0] = (byte)(pattern.Length | (i % 2 == 0 ? 0 : 0x80));
            for (int c = 0; c < pattern.Length + text.Length; c++)
            {
                char ch = c < pattern.Length ? pattern[c] : text[c - pattern.Length];
                int at = GlobAlphabet.IndexOf(ch, StringComparison.Ordinal);
                input[1 + c] = (byte)(at < 0 ? 0 : at);
            }

            Save(root, "glob", $"seed-{i}", input);
        }

        ICacheSerializer serializer = MemoryPackCacheSerializer.Instance;
        Save(root, "envelope", "string", Envelope("hello", 0, serializer));
        Save(root, "envelope", "string-expiring", Envelope("value", 1_800_000_000_000, serializer));
        Save(root, "envelope", "bytes", Envelope(new byte[] { 1, 2, 3, 255 }, 0, serializer));
        Save(root, "envelope", "ints", Envelope(new[] { 1, -2, 3 }, 42, serializer));
        Save(root, "envelope", "tuple", Envelope((7L, "seven"), 0, serializer));
        Save(root, "envelope", "null-string", Envelope<string?>(null, 0, serializer));
        Save(root, "envelope", "compressed-string", Envelope(string.Concat(Enumerable.Repeat("compressible text ", 80)), 0, serializer, compressFrom: 1024));
        Save(root, "envelope", "compressed-ints", Envelope(Enumerable.Range(0, 600).Select(i => i % 7).ToArray(), 0, serializer, compressFrom: 1024));

        var sender = new Guid("6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
        Save(root, "backplane", "key", Message(new InvalidationMessage(sender, InvalidationKind.Key, ["users:42"])));
        Save(root, "backplane", "keys", Message(new InvalidationMessage(sender, InvalidationKind.Keys, ["a", "b", "ü€"])));
        Save(root, "backplane", "pattern", Message(new InvalidationMessage(sender, InvalidationKind.Pattern, ["session:*"])));
        Save(root, "backplane", "all", Message(new InvalidationMessage(sender, InvalidationKind.All, [])));

        var random = new Random(7);
        for (int i = 0; i < 4; i++)
        {
            byte[] program = new byte[64 + 64 * i];
            random.NextBytes(program);
            Save(root, "operations", $"program-{i}", program);
        }
    }

    private static byte[] Envelope<T>(T value, long expiry, ICacheSerializer serializer, int compressFrom = int.MaxValue)
    {
        var writer = new ArrayBufferWriter<byte>();
        CacheEnvelope.Write(writer, value, expiry, serializer, compressFrom: compressFrom);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] Message(InvalidationMessage message)
    {
        var writer = new ArrayBufferWriter<byte>();
        message.Encode(writer);
        return writer.WrittenSpan.ToArray();
    }

    private static void Save(string root, string target, string name, byte[] input)
    {
        Directory.CreateDirectory(Path.Combine(root, target));
        File.WriteAllBytes(Path.Combine(root, target, name), input);
    }
}
