using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Authentication;
using Windsock.Server.Logging;
using Windsock.Server.Sessions;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Logging;

/// <summary>
/// A client's text reaches the diagnostics, the text request log and the JSON request log without
/// a single character a terminal or viewer would act on: control characters, line and paragraph
/// separators, bidirectional controls.
/// </summary>
public class LogEscapingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The review's user name, and one of each other kind.</summary>
    public static TheoryData<string, string> Hostile => new()
    {
        { "a\rb\u001b[31mRED\u001b[0m\u0000z", @"a\x0db\x1b[31mRED\x1b[0m\x00z" },
        { "line\nforged=1", @"line\x0aforged=1" },
        { "tab\there", @"tab\x09here" },
        { "del\u007f", @"del\x7f" },
        { "c1\u0085\u009b", @"c1\x85\x9b" },
        { "sep\u2028para\u2029", @"sep\u2028para\u2029" },
        { "txt.exe\u202egpj", @"txt.exe\u202egpj" },
        { "\u202a\u202b\u202c\u202d", @"\u202a\u202b\u202c\u202d" },
        { "\u2066\u2067\u2068\u2069", @"\u2066\u2067\u2068\u2069" },
        { "lrm\u200e\u200f\u061c", @"lrm\u200e\u200f\u061c" },
        { "zw\u200b\ufeff", @"zw\u200b\ufeff" },
        { "lone\ud800x", @"lone\ud800x" },
        { @"back\slash", @"back\\slash" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void The_helper_escapes_every_unsafe_character(string raw, string escaped)
    {
        Assert.Equal(escaped, LogText.Escape(raw));
        Assert.Equal("plain ünïcode 名前 😀 ok", LogText.Escape("plain ünïcode 名前 😀 ok"));
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void The_text_request_log_escapes_them_inside_the_quoted_value(string raw, string escaped)
    {
        var line = RequestLogFormatter.FormatText(RequestLogEvent.Request, Record(raw), Now);
        Assert.Contains($"user=\"{escaped}\"", line, StringComparison.Ordinal);
        AssertNothingRaw(line);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void The_json_request_log_escapes_them_and_still_carries_the_value(string raw, string escaped)
    {
        _ = escaped;
        var line = RequestLogFormatter.FormatJson(RequestLogEvent.End, Record(raw), Now);
        AssertNothingRaw(line);
        using var json = JsonDocument.Parse(line);
        if (!raw.Contains('\ud800', StringComparison.Ordinal))
        {
            // A parser gets the client's exact text back; only its bytes on the line are escaped.
            Assert.Equal(raw, json.RootElement.GetProperty("user").GetString());
        }
    }

    [Fact]
    public void Ident_answers_and_reasons_are_escaped_too()
    {
        // (Host names cannot carry such characters: the protocol layer refuses them as invalid names.)
        var record = Record("alice");
        record.IdentUser = "evil\u202e.example";
        record.EndReason = "peer said \u001b[2J";
        var text = RequestLogFormatter.FormatText(RequestLogEvent.End, record, Now);
        var json = RequestLogFormatter.FormatJson(RequestLogEvent.End, record, Now);
        Assert.Contains(@"ident=""evil\u202e.example""", text, StringComparison.Ordinal);
        Assert.Contains(@"reason=""peer said \x1b[2J""", text, StringComparison.Ordinal);
        Assert.Contains(@"evil\u202e.example", json, StringComparison.Ordinal);
        AssertNothingRaw(text);
        AssertNothingRaw(json);
    }

    [Fact]
    public async Task A_failed_login_reaches_the_diagnostics_escaped()
    {
        const string User = "a\rb\u001b[31mRED\u001b[0m\u0000z\u2028\u202e";
        var diagnostics = new ListLogger();
        await using var server = TestServer.Start(credentials: new NoOne(), logger: diagnostics);
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        await client.GreetAsync(AuthMethod.UsernamePassword);
        Assert.False(await client.LoginAsync(User, "wrong"));
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));

        var message = Assert.Single(diagnostics.Messages, m => m.Contains("Authentication failed", StringComparison.Ordinal));
        Assert.Contains(@"user 'a\x0db\x1b[31mRED\x1b[0m\x00z\u2028\u202e'", message, StringComparison.Ordinal);
        AssertNothingRaw(message);
    }

    private static void AssertNothingRaw(string line)
    {
        for (int i = 0; i < line.Length; i++)
        {
            Assert.False(LogText.MustEscape(line, i), $"raw U+{(int)line[i]:X4} at {i} in: {line}");
        }
    }

    private static SessionRecord Record(string user) =>
        new(42, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 40000), new IPEndPoint(IPAddress.Loopback, 1080), Now)
        {
            Version = Windsock.Policy.PolicyVersion.Socks5,
            AuthMethod = Windsock.Protocol.Socks5.AuthMethod.UsernamePassword,
            User = user,
            Command = Windsock.Protocol.Socks5.Socks5Command.Connect,
            Destination = SocksEndpoint.FromHost("example.org", 443),
            ReplyCode = 2,
            EndReason = "authentication failed",
        };

    private sealed class NoOne : ICredentialVerifier
    {
        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CredentialVerdict(false, "test", "no such user"));
    }

    /// <summary>Keeps each formatted message, as a console provider would write it.</summary>
    private sealed class ListLogger : ILogger
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IReadOnlyCollection<string> Messages => _messages;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _messages.Enqueue(formatter(state, exception));
    }
}
