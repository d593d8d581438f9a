using System;
using System.Linq;
using System.Net;
using StackExchange.Redis;
using Xunit;

namespace Strata.Tiering.Tests.Connection;

public class RedisConnectionStringTests
{
    [Fact]
    public void Parse_FullUrl_ReadsEveryPart()
    {
        ConfigurationOptions options = RedisConnectionString.Parse("redis://app:s%40cret@cache.internal:6380/3");

        Assert.Equal("cache.internal:6380", Format(options));
        Assert.Equal("app", options.User);
        Assert.Equal("s@cret", options.Password);
        Assert.Equal(3, options.DefaultDatabase);
        Assert.False(options.Ssl);
        Assert.False(options.AbortOnConnectFail);
    }

    [Fact]
    public void Parse_TlsUrlWithPasswordOnly_UsesDefaultPortAndSsl()
    {
        ConfigurationOptions options = RedisConnectionString.Parse("rediss://:secret@cache.example");

        Assert.Equal("cache.example:6379", Format(options));
        Assert.Null(options.User);
        Assert.Equal("secret", options.Password);
        Assert.True(options.Ssl);
        Assert.Equal("cache.example", options.SslHost);
    }

    [Fact]
    public void Parse_ConfigurationString_IsPassedToStackExchangeRedis()
    {
        ConfigurationOptions options = RedisConnectionString.Parse("127.0.0.1:7000,127.0.0.1:7001,password=pw,defaultDatabase=2");

        Assert.Equal(2, options.EndPoints.Count);
        Assert.Equal("pw", options.Password);
        Assert.Equal(2, options.DefaultDatabase);
    }

    [Theory]
    [InlineData("redis://user:topsecret@host/notanumber")]
    [InlineData("redis://")]
    public void Parse_InvalidUrl_ThrowsWithoutShowingThePassword(string url)
    {
        var ex = Assert.Throws<ArgumentException>(() => RedisConnectionString.Parse(url));
        Assert.DoesNotContain("topsecret", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_Empty_Throws(string value) =>
        Assert.Throws<ArgumentException>(() => RedisConnectionString.Parse(value));

    private static string Format(ConfigurationOptions options) => options.EndPoints.Single() switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        var other => other.ToString()!,
    };
}
