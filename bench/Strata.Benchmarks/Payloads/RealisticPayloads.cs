using System;
using System.Collections.Generic;
using System.Text;
using Strata.Sessions;

namespace Strata.Benchmarks.Payloads;

/// <summary>A user profile as a service caches it, about 10 KB of JSON: a plain class, so it goes through System.Text.Json.</summary>
public sealed class UserProfile
{
    public string Id { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public string Email { get; set; } = "";

    public string Locale { get; set; } = "";

    public string Bio { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public Dictionary<string, string> Preferences { get; set; } = [];

    public List<Address> Addresses { get; set; } = [];

    public List<RecentItem> RecentItems { get; set; } = [];
}

public sealed class Address
{
    public string Line1 { get; set; } = "";

    public string City { get; set; } = "";

    public string PostalCode { get; set; } = "";

    public string Country { get; set; } = "";
}

public sealed class RecentItem
{
    public string Sku { get; set; } = "";

    public string Title { get; set; } = "";

    public decimal Price { get; set; }

    public DateTimeOffset ViewedAt { get; set; }
}

/// <summary>
/// The payloads of the compression measurements, built from a fixed seed: a chat session with 100 messages (Strata's
/// own session model, through MemoryPack) and a 10 KB user profile (through System.Text.Json). The text is drawn from
/// a word list with a skewed frequency, like prose; real conversations repeat less exactly, so real ratios may be a
/// little lower.
/// </summary>
public static class RealisticPayloads
{
    private static readonly string[] Words =
    [
        "the", "a", "to", "of", "and", "in", "is", "that", "for", "it", "you", "with", "on", "this", "be", "can", "your",
        "file", "function", "return", "value", "cache", "request", "error", "user", "session", "test", "change", "line",
        "method", "class", "string", "list", "null", "async", "await", "response", "server", "client", "key", "time",
        "data", "query", "index", "table", "column", "config", "build", "deploy", "version", "update", "check", "run",
        "example", "because", "when", "should", "would", "could", "there", "which", "about", "then", "also", "here",
    ];

    /// <summary>A session of 100 messages, alternating user and assistant, as the session store caches it.</summary>
    public static SessionWithMessages Session()
    {
        var random = new Random(42);
        DateTimeOffset start = new(2026, 11, 2, 9, 30, 0, TimeSpan.Zero);
        var session = new ChatSession(
            new Guid("6f1c2a9e-3b47-4d0a-9a51-2c8e7f3b1d64"), "user-1842", "agent-code-review", "Refactor the cache layer",
            SessionStatus.Active, """{"repository":"strata","branch":"main","language":"csharp","file":"src/Tiering/Scopes/CacheScope.cs"}""",
            start, start.AddMinutes(95), start.AddMinutes(95), 100);
        var messages = new List<SessionMessage>(100);
        for (int i = 0; i < 100; i++)
        {
            bool user = i % 2 == 0;
            string content = Prose(random, user ? 12 : 60);
            string metadata = user ? "{}" : $$"""{"model":"agent-2","tokens":{{random.Next(80, 900)}},"latencyMs":{{random.Next(300, 4000)}}}""";
            messages.Add(new SessionMessage(i + 1, user ? MessageRole.User : MessageRole.Assistant, content, metadata, start.AddSeconds(i * 57)));
        }

        return new SessionWithMessages(session, messages);
    }

    /// <summary>A user profile of about 10 KB in JSON.</summary>
    public static UserProfile Profile()
    {
        var random = new Random(7);
        var profile = new UserProfile
        {
            Id = "user-1842",
            DisplayName = "Alice Example",
            Email = "alice@example.com",
            Locale = "en-GB",
            Bio = Prose(random, 80),
            CreatedAt = new DateTimeOffset(2021, 3, 14, 8, 0, 0, TimeSpan.Zero),
        };
        for (int i = 0; i < 40; i++)
        {
            profile.Preferences["pref." + Words[random.Next(Words.Length)] + "." + i] = Words[random.Next(Words.Length)];
        }

        for (int i = 0; i < 3; i++)
        {
            profile.Addresses.Add(new Address { Line1 = $"{random.Next(1, 300)} {Prose(random, 2)} Street", City = "Springfield", PostalCode = $"SP{random.Next(10, 99)} {random.Next(1, 9)}AB", Country = "GB" });
        }

        for (int i = 0; i < 78; i++)
        {
            profile.RecentItems.Add(new RecentItem { Sku = $"SKU-{random.Next(100000, 999999)}", Title = Prose(random, 5), Price = random.Next(100, 99999) / 100m, ViewedAt = profile.CreatedAt.AddHours(random.Next(1, 40000)) });
        }

        return profile;
    }

    private static string Prose(Random random, int words)
    {
        var text = new StringBuilder();
        for (int i = 0; i < words; i++)
        {
            // Skewed: low indexes (the common words) come up far more often, as in prose.
            double u = random.NextDouble();
            text.Append(Words[(int)(u * u * Words.Length)]);
            text.Append(i % 14 == 13 ? ". " : " ");
        }

        return text.ToString().TrimEnd();
    }
}
