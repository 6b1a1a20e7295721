using System.Net;
using Windsock.Policy;
using Windsock.Protocol.Socks4;
using Windsock.Protocol;
using Windsock.Server.Configuration;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Ident;

/// <summary>SOCKS4 user ids checked against a (scripted) identd on the client host, through the real server.</summary>
public class Socks4IdentTests
{
    private static async Task<Socks4ReplyCode> RequestAsync(IdentMode mode, Func<string, string?> identd, string userId, int? identPort = null)
    {
        await using var daemon = new ScriptedIdentd(identd);
        await using var server = TestServer.Start(o => o with { IdentMode = mode, IdentPort = identPort ?? daemon.Port, IdentTimeout = TimeSpan.FromMilliseconds(500) });
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        var reply = await client.ConnectSocks4Async(SocksEndpoint.FromEndPoint(echo.EndPoint), userId);
        await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal));
        return reply.Code;
    }

    [Fact]
    public async Task Check_mode_grants_when_identd_agrees_and_logs_the_ident_user()
    {
        await using var daemon = new ScriptedIdentd(q => ScriptedIdentd.UserReply(q, "alice"));
        await using var server = TestServer.Start(o => o with { IdentMode = IdentMode.Check, IdentPort = daemon.Port });
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        var reply = await client.ConnectSocks4Async(SocksEndpoint.FromEndPoint(echo.EndPoint), "alice");

        Assert.Equal(Socks4ReplyCode.Granted, reply.Code);
        var line = await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal));
        Assert.Contains("user=alice ident=alice", line, StringComparison.Ordinal);
        Assert.True(daemon.Queries.TryPeek(out var query));
        Assert.Equal($"{client.Socket.LocalEndPoint!.ToString()!.Split(':')[1]} , {server.EndPoint.Port}", query.Query);
    }

    [Theory]
    [InlineData(IdentMode.Check)]
    [InlineData(IdentMode.Require)]
    public async Task Identd_naming_another_user_is_93(IdentMode mode) =>
        Assert.Equal(Socks4ReplyCode.IdentMismatch, await RequestAsync(mode, q => ScriptedIdentd.UserReply(q, "mallory"), "alice"));

    [Fact]
    public async Task Check_mode_grants_when_identd_is_silent_or_absent()
    {
        Assert.Equal(Socks4ReplyCode.Granted, await RequestAsync(IdentMode.Check, _ => null, "alice"));
        Assert.Equal(Socks4ReplyCode.Granted, await RequestAsync(IdentMode.Check, _ => null, "alice", identPort: FreePort.Closed()));
    }

    [Fact]
    public async Task Require_mode_refuses_with_92_when_identd_is_unreachable_or_has_no_user()
    {
        Assert.Equal(Socks4ReplyCode.IdentUnreachable, await RequestAsync(IdentMode.Require, _ => null, "alice", identPort: FreePort.Closed()));
        Assert.Equal(Socks4ReplyCode.IdentUnreachable, await RequestAsync(IdentMode.Require, _ => null, "alice"));
        Assert.Equal(Socks4ReplyCode.IdentUnreachable, await RequestAsync(IdentMode.Require, q => q.Replace(" ", "", StringComparison.Ordinal) + ":ERROR:NO-USER\r\n", "alice"));
    }

    [Fact]
    public async Task Require_mode_grants_a_matching_user()
    {
        Assert.Equal(Socks4ReplyCode.Granted, await RequestAsync(IdentMode.Require, q => ScriptedIdentd.UserReply(q, "alice"), "alice"));
    }

    [Fact]
    public void Ident_section_is_read_from_the_configuration()
    {
        var options = ConfigLoader.Parse("[ident]\nmode = \"require\"\ntimeout = \"2s\"\nport = 1113\n", "w.toml");
        Assert.Equal((IdentMode.Require, TimeSpan.FromSeconds(2), 1113), (options.IdentMode, options.IdentTimeout, options.IdentPort));
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[ident]\nmode = \"requird\"\n", "w.toml"));
        Assert.Equal((2, 8), (error.Line, error.Column));
        Assert.Contains("require", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ident_hooks_fire_with_the_sockd_codes()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("windsock-ident-hook-").FullName, "mismatch");
        Assert.True(Windsock.Server.Hooks.HookCommand.TryParse($"/bin/sh -c 'echo \"%U pretends to be %u on %A\" > {output}'", out var hook, out _));
        await using var daemon = new ScriptedIdentd(q => ScriptedIdentd.UserReply(q, "mallory"));
        await using var server = TestServer.Start(o => o with { IdentMode = IdentMode.Check, IdentPort = daemon.Port, IdentMismatchHook = hook });
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Context.Hooks.Completed += _ => done.TrySetResult();
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        Assert.Equal(Socks4ReplyCode.IdentMismatch, (await client.ConnectSocks4Async(SocksEndpoint.FromEndPoint(echo.EndPoint), "alice")).Code);

        await done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("mallory pretends to be alice on 127.0.0.1\n", await File.ReadAllTextAsync(output));
    }

    [Fact]
    public async Task A_rule_can_require_ident_when_the_global_setting_is_off()
    {
        var rules = new RuleSet([new AccessRule { Action = RuleAction.Allow, Name = "ident required here", Ident = IdentMode.Require }]);
        foreach (var (identdUser, expected) in new[] { ("alice", Socks4ReplyCode.Granted), ("mallory", Socks4ReplyCode.IdentMismatch) })
        {
            await using var daemon = new ScriptedIdentd(q => ScriptedIdentd.UserReply(q, identdUser));
            await using var server = TestServer.Start(o => o with { Rules = rules, IdentPort = daemon.Port });
            await using var echo = new EchoServer(IPAddress.Loopback);
            using var client = await RawClient.ConnectAsync(server.EndPoint);

            Assert.Equal(expected, (await client.ConnectSocks4Async(SocksEndpoint.FromEndPoint(echo.EndPoint), "alice")).Code);
        }
    }
}
