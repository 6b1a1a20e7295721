using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Windsock.Server.Admin;
using Windsock.Server.Metrics;
using Windsock.Server.Sessions;
using Xunit;

namespace Windsock.Server.Tests.Admin;

/// <summary>The admin listener's request parsing, token check, rebinding guard and routes, without sockets.</summary>
public sealed class AdminApiTests
{
    private static HttpRequestHead Parse(string text)
    {
        var head = HttpRequestHead.TryParse(Encoding.ASCII.GetBytes(text), out int consumed, out string? error);
        Assert.Null(error);
        Assert.Equal(Encoding.ASCII.GetByteCount(text), consumed);
        return head!;
    }

    [Fact]
    public void A_request_head_split_anywhere_parses_only_when_whole()
    {
        byte[] bytes = "GET /api/sessions?user=al%20ice&command=connect HTTP/1.1\r\nHost: 127.0.0.1:9180\r\nAuthorization: Bearer x\r\n\r\n"u8.ToArray();
        for (int i = 0; i < bytes.Length; i++)
        {
            Assert.Null(HttpRequestHead.TryParse(bytes.AsSpan(0, i), out _, out string? partial));
            Assert.Null(partial);
        }

        var head = HttpRequestHead.TryParse(bytes, out _, out _)!;
        Assert.Equal(("GET", "/api/sessions", "127.0.0.1:9180"), (head.Method, head.Path, head.Header("host")));
        Assert.Equal("al ice", head.QueryParameters()["user"]);
    }

    [Theory]
    [InlineData("GET /metrics HTTP/1.1\r\n\r\n", "without a Host")]
    [InlineData("GET /metrics HTTP/2.0\r\nHost: a\r\n\r\n", "HTTP/1.0 and HTTP/1.1")]
    [InlineData("get /metrics HTTP/1.1\r\nHost: a\r\n\r\n", "malformed request line")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", "malformed header line")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", "bare CR or LF")]
    [InlineData("GET /m\u00e9trics HTTP/1.1\r\nHost: a\r\n\r\n", "printable ASCII")]
    public void Malformed_heads_are_refused_with_a_reason(string text, string reason)
    {
        Assert.Null(HttpRequestHead.TryParse(Encoding.Latin1.GetBytes(text), out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_endless_head_is_refused_at_the_limit()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX: " + new string('a', HttpRequestHead.MaxLength));
        Assert.Null(HttpRequestHead.TryParse(bytes, out _, out string? error));
        Assert.Equal("request head too large", error);
    }

    private static (AdminApi Api, ServerMetrics Metrics, MetricsCollector Collector) Api(string? token)
    {
        var metrics = new ServerMetrics();
        var collector = new MetricsCollector(metrics.Meter);
        return (new AdminApi(metrics, collector, token, NullLogger.Instance), metrics, collector);
    }

    [Fact]
    public void With_a_token_every_request_needs_it_as_bearer_or_basic_password()
    {
        var (api, metrics, collector) = Api("0123456789abcdef0123");
        using var _ = metrics;
        using var __ = collector;
        var refused = api.Handle(Parse("GET /metrics HTTP/1.1\r\nHost: proxy.example.org\r\n\r\n"), false, "test");
        Assert.Equal(401, refused.Status);
        Assert.Contains(refused.Headers!, h => h.Key == "WWW-Authenticate" && h.Value.StartsWith("Basic", StringComparison.Ordinal));
        Assert.Equal(401, api.Handle(Parse("GET /metrics HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer 0123456789abcdef0124\r\n\r\n"), false, "test").Status);
        Assert.Equal(200, api.Handle(Parse("GET /metrics HTTP/1.1\r\nHost: proxy.example.org\r\nAuthorization: Bearer 0123456789abcdef0123\r\n\r\n"), false, "test").Status);
        string basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:0123456789abcdef0123"));
        Assert.Equal(200, api.Handle(Parse($"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic {basic}\r\n\r\n"), false, "test").Status);
    }

    [Fact]
    public void Without_a_token_a_host_name_is_refused_against_dns_rebinding_but_addresses_and_the_unix_socket_pass()
    {
        var (api, metrics, collector) = Api(null);
        using var _ = metrics;
        using var __ = collector;
        Assert.Equal(421, api.Handle(Parse("GET /api/sessions HTTP/1.1\r\nHost: attacker.example:9180\r\n\r\n"), false, "test").Status);
        Assert.Equal(200, api.Handle(Parse("GET /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:9180\r\n\r\n"), false, "test").Status);
        Assert.Equal(200, api.Handle(Parse("GET /api/sessions HTTP/1.1\r\nHost: [::1]:9180\r\n\r\n"), false, "test").Status);
        Assert.Equal(200, api.Handle(Parse("GET /api/sessions HTTP/1.1\r\nHost: localhost\r\n\r\n"), false, "test").Status);
        Assert.Equal(200, api.Handle(Parse("GET /api/sessions HTTP/1.1\r\nHost: anything\r\n\r\n"), true, "test").Status);
    }

    [Fact]
    public void Sessions_are_listed_filtered_and_ended_only_by_delete()
    {
        var (api, metrics, collector) = Api(null);
        using var _ = metrics;
        using var __ = collector;
        var alice = new SessionRecord(1, new IPEndPoint(IPAddress.Parse("192.0.2.7"), 40000), new IPEndPoint(IPAddress.Loopback, 1080), DateTimeOffset.UtcNow) { User = "alice", Command = Windsock.Protocol.Socks5.Socks5Command.Connect };
        var bob = new SessionRecord(2, new IPEndPoint(IPAddress.Parse("198.51.100.9"), 40001), new IPEndPoint(IPAddress.Loopback, 1080), DateTimeOffset.UtcNow) { User = "bob", Command = Windsock.Protocol.Socks5.Socks5Command.Bind };
        var aliceLive = metrics.SessionStarted(alice);
        metrics.SessionStarted(bob);

        string Body(AdminResponse r) => Encoding.UTF8.GetString(r.Body);
        var all = api.Handle(Parse("GET /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), false, "test");
        Assert.Contains("\"count\": 2", Body(all), StringComparison.Ordinal);
        var byNetwork = api.Handle(Parse("GET /api/sessions?client=192.0.2.0/24 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), false, "test");
        Assert.Contains("\"count\": 1", Body(byNetwork), StringComparison.Ordinal);
        Assert.Contains("\"user\": \"alice\"", Body(byNetwork), StringComparison.Ordinal);
        Assert.Equal(400, api.Handle(Parse("GET /api/sessions?colour=red HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), false, "test").Status);

        // A cross-site form can POST but not DELETE: only DELETE ends a session.
        Assert.Equal(405, api.Handle(Parse("POST /api/sessions/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), false, "test").Status);
        Assert.False(aliceLive.Token.IsCancellationRequested);
        Assert.Equal(200, api.Handle(Parse("DELETE /api/sessions/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), false, "test").Status);
        Assert.True(aliceLive.Token.IsCancellationRequested);
        Assert.True(aliceLive.EndedByAdministrator);
        Assert.Equal(404, api.Handle(Parse("DELETE /api/sessions/99 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), false, "test").Status);
    }

    [Fact]
    public void The_page_encodes_what_clients_chose()
    {
        var (api, metrics, collector) = Api(null);
        using var _ = metrics;
        using var __ = collector;
        metrics.SessionStarted(new SessionRecord(3, new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 1080), DateTimeOffset.UtcNow) { User = "<script>x</script>" });
        var page = api.Handle(Parse("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), false, "test");
        string html = Encoding.UTF8.GetString(page.Body);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;x&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("id=\"sessions-active\">1<", html, StringComparison.Ordinal);
        Assert.Contains("Content-Security-Policy: default-src 'none'", Encoding.ASCII.GetString(page.Encode()), StringComparison.Ordinal);
    }
}
