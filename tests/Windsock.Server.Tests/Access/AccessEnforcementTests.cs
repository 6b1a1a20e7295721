using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;
using Windsock.Server.Sessions;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Access;

/// <summary>The access rules enforced by the real server on real connections.</summary>
public class AccessEnforcementTests
{
    private static DestinationSet To(string text)
    {
        Assert.True(DestinationSet.TryParse(text, out var set, out var error), error);
        return set;
    }

    private static PortSet Ports(string text)
    {
        Assert.True(PortSet.TryParse(text, out var set, out var error), error);
        return set;
    }

    private static DenyReply Reply(string text)
    {
        Assert.True(DenyReply.TryParse(text, out var reply, out var error), error);
        return reply;
    }

    private static AccessRule Allow(string name = "everything") => new() { Action = RuleAction.Allow, Name = name };

    private static TestServer Start(ICredentialVerifier? credentials = null, IEnumerable<string>? notifyDenied = null, params AccessRule[] rules) =>
        TestServer.Start(o => o with { Rules = new RuleSet(rules) { NotifyOnDeny = [.. notifyDenied ?? []] } }, credentials);

    [Fact]
    public async Task A_denying_rule_answers_2_logs_the_rule_and_never_connects()
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var server = Start(null, null,
            new AccessRule { Action = RuleAction.Deny, Name = "no echo", Ports = PortSet.Of((ushort)echo.EndPoint.Port), Reason = "echo is closed today" },
            Allow());
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        var reply = await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint));

        Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, reply.Code);
        Assert.True(echo.Peers.IsEmpty);
        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("rule=\"rule 1 \\\"no echo\\\"", end, StringComparison.Ordinal);
        Assert.Contains("echo is closed today", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Socks4_denials_are_91()
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var server = Start(null, null, new AccessRule { Action = RuleAction.Deny, Name = "nothing" });
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks4ReplyCode.RejectedOrFailed, (await client.ConnectSocks4Async(SocksEndpoint.FromEndPoint(echo.EndPoint), "alice")).Code);
    }

    [Fact]
    public async Task A_rule_can_choose_the_reply_code_or_drop_without_a_reply()
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using (var server = Start(null, null, new AccessRule { Action = RuleAction.Deny, Reply = Reply("connection-refused") }))
        {
            using var client = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal(Socks5ReplyCode.ConnectionRefused, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
        }

        await using (var server = Start(null, null, new AccessRule { Action = RuleAction.Deny, Reply = DenyReply.Drop }))
        {
            using var client = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));
            var request = new Socks5Request(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo.EndPoint));
            var bytes = new byte[request.EncodedLength];
            request.Write(bytes);
            await client.SendAsync(bytes);
            Assert.Empty(await client.ReadToEndAsync());
        }
    }

    [Fact]
    public async Task A_client_that_asks_is_told_why()
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var server = Start(null, null, new AccessRule { Action = RuleAction.Deny, Reason = "telnet is not allowed out; ask the helpdesk" });
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None, (AuthMethod)DenialReason.MethodCode));
        var reply = await client.RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo.EndPoint));
        Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, reply.Code);

        var rest = await client.ReadToEndAsync();
        Assert.True(DenialReason.TryParse(rest, out var reason).IsDone);
        Assert.Equal("telnet is not allowed out; ask the helpdesk", reason);
    }

    [Fact]
    public async Task A_client_that_does_not_ask_gets_only_the_reply()
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var server = Start(null, null, new AccessRule { Action = RuleAction.Deny, Reason = "no" });
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
        Assert.Empty(await client.ReadToEndAsync());
    }

    [Fact]
    public async Task A_name_cannot_lead_around_a_rule_written_with_networks()
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var server = Start(null, null,
            new AccessRule { Action = RuleAction.Deny, Name = "no 127.0.0.1", To = To("127.0.0.1") },
            Allow());

        using (var byName = await RawClient.ConnectAsync(server.EndPoint))
        {
            // No rule names "localhost"; it resolves into the denied network, and that is what is checked.
            var reply = await byName.ConnectSocks5Async(SocksEndpoint.FromHost("localhost", (ushort)echo.EndPoint.Port));
            Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, reply.Code);
        }

        Assert.True(echo.Peers.IsEmpty);
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("dest=localhost", StringComparison.Ordinal) && l.Contains("no 127.0.0.1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rules_match_authenticated_users()
    {
        var users = new Dictionary<string, string> { ["alice"] = "a-pass", ["bob"] = "b-pass" };
        var verifier = new DictionaryVerifier(users);
        Assert.True(UserSet.TryParse(["alice"], [], out var alice, out var error), error);
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var server = Start(verifier, null, new AccessRule { Action = RuleAction.Allow, Name = "alice only", Users = alice });

        foreach (var (user, expected) in new[] { ("alice", Socks5ReplyCode.Succeeded), ("bob", Socks5ReplyCode.NotAllowedByRuleset) })
        {
            using var client = await RawClient.ConnectAsync(server.EndPoint);
            await client.GreetAsync(AuthMethod.UsernamePassword);
            Assert.True(await client.LoginAsync(user, users[user]));
            Assert.Equal(expected, (await client.RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
        }

        await server.WaitForLineAsync(l => l.Contains("user=bob", StringComparison.Ordinal) && l.Contains("no rule matched", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Denials_run_the_notify_denied_hook()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("windsock-deny-hook-").FullName, "denied");
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var server = Start(null, [$"/bin/sh -c 'echo \"%c %z %s\" > {output}'"], new AccessRule { Action = RuleAction.Deny });
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Context.Hooks.Completed += _ => ran.TrySetResult();
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint));

        await ran.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal($"connect 127.0.0.1 {echo.EndPoint.Port}\n", await File.ReadAllTextAsync(output));
    }

    [Fact]
    public async Task Each_notify_denied_hook_runs_once_per_denial()
    {
        using var dir = new TempDirectory();
        var runs = Path.Combine(dir.Path, "runs");
        string Append(string word) => $"/bin/sh -c 'echo {word} >> {runs}'";
        await using var echo = new EchoServer(IPAddress.Loopback);
        var server = Start(null, [Append("denied")],
            new AccessRule { Action = RuleAction.Deny, Name = "no echo", Ports = PortSet.Of((ushort)echo.EndPoint.Port), Notify = [Append("rule")] });
        await using (server)
        {
            // One denial by the rule, one by default deny (port 1 matches no rule).
            foreach (var port in new[] { echo.EndPoint.Port, 1 })
            {
                using var client = await RawClient.ConnectAsync(server.EndPoint);
                Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, (await client.ConnectSocks5Async(SocksEndpoint.FromAddress(IPAddress.Loopback, (ushort)port))).Code);
            }

            // Hooks are queued before the reply is sent; disposing the server lets every queued run finish.
        }

        var lines = (await File.ReadAllLinesAsync(runs)).Order(StringComparer.Ordinal);
        Assert.Equal(["denied", "denied", "rule"], lines);
    }

    public static TheoryData<PeerCheck> PeerChecks => new() { PeerCheck.Strict, PeerCheck.Loose };

    [Theory]
    [MemberData(nameof(PeerChecks))]
    public async Task Bind_to_a_name_is_decided_on_its_addresses_like_bind_to_the_address(PeerCheck check)
    {
        using var dir = new TempDirectory();
        var runs = Path.Combine(dir.Path, "runs");
        var rules = new RuleSet(
        [
            new AccessRule
            {
                Action = RuleAction.Deny, Name = "no bind home", Commands = CommandSet.Of(PolicyCommand.Bind), To = To("127.0.0.0/8, ::1"),
                Notify = [$"/bin/sh -c 'echo rule %c %Z >> {runs}'"],
            },
            Allow(),
        ]) { NotifyOnDeny = [$"/bin/sh -c 'echo denied %c %Z >> {runs}'"] };
        var server = TestServer.Start(o => o with { Rules = rules, Bind = o.Bind with { PeerCheck = check } });
        await using (server)
        {
            var ends = new List<string>();
            Task<string> NextEnd() => server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && !ends.Contains(l));
            foreach (var destination in new[] { SocksEndpoint.FromAddress(IPAddress.Loopback, 21), SocksEndpoint.FromHost("localhost", 21) })
            {
                using var client = await RawClient.ConnectAsync(server.EndPoint);
                Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));
                Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, (await client.RequestAsync(Socks5Command.Bind, destination)).Code);
                Assert.True(await client.IsClosedByServerAsync());
                ends.Add(await NextEnd());
            }

            // SOCKS4a names are held to the same rules.
            using (var socks4 = await RawClient.ConnectAsync(server.EndPoint))
            {
                Assert.Equal(Socks4ReplyCode.RejectedOrFailed, (await socks4.RequestSocks4Async(Socks4Command.Bind, SocksEndpoint.FromHost("localhost", 21), "alice")).Code);
                Assert.True(await socks4.IsClosedByServerAsync());
                ends.Add(await NextEnd());
            }

            foreach (var end in ends)
            {
                // Decided by the rule, never "rule=-", and no listener was opened.
                Assert.Contains("rule=\"rule 1 \\\"no bind home\\\"", end, StringComparison.Ordinal);
                Assert.Contains("announced=- ", end, StringComparison.Ordinal);
            }
        }

        // The rule's hook and notify_denied, once each for each of the three denials.
        var lines = (await File.ReadAllLinesAsync(runs)).Order(StringComparer.Ordinal);
        Assert.Equal(
            ["denied bind 127.0.0.1", "denied bind localhost", "denied bind localhost", "rule bind 127.0.0.1", "rule bind localhost", "rule bind localhost"],
            lines);
    }

    [Fact]
    public async Task An_allowed_bind_to_a_name_logs_its_rule_and_runs_its_hook()
    {
        using var dir = new TempDirectory();
        var runs = Path.Combine(dir.Path, "runs");
        var rules = new RuleSet([new AccessRule { Action = RuleAction.Allow, Name = "binds", Notify = [$"/bin/sh -c 'echo allowed %c %Z >> {runs}'"] }]);
        var server = TestServer.Start(o => o with { Rules = rules });
        await using (server)
        {
            using var client = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));
            var first = await client.RequestAsync(Socks5Command.Bind, SocksEndpoint.FromHost("localhost", 21));
            Assert.Equal(Socks5ReplyCode.Succeeded, first.Code);
            var request = await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal) && l.Contains("dest=localhost:21", StringComparison.Ordinal));
            Assert.Contains("rule=\"rule 1 \\\"binds\\\"", request, StringComparison.Ordinal);
        }

        Assert.Equal(["allowed bind localhost"], await File.ReadAllLinesAsync(runs));
    }

    private static AccessRule AllowUdpHome() =>
        new() { Action = RuleAction.Allow, Name = "udp home", Commands = CommandSet.Of(PolicyCommand.UdpAssociate), To = To("127.0.0.0/8, ::1") };

    private static bool UdpEnd(string line) => line.Contains(" end ", StringComparison.Ordinal) && line.Contains("command=udp-associate", StringComparison.Ordinal);

    [Fact]
    public async Task A_datagram_naming_a_denied_host_is_dropped_and_the_name_never_resolved()
    {
        await using var echo = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        await using var server = Start(null, null,
            new AccessRule { Action = RuleAction.Deny, Name = "no localhost", To = To("localhost, forbidden.example") },
            AllowUdpHome());
        using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            await client.SendAsync(SocksEndpoint.FromHost("localhost", (ushort)echo.Port), "by name");
            await client.SendAsync(SocksEndpoint.FromHost("LOCALHOST.", (ushort)echo.Port), "by name again");
            await client.SendAsync(SocksEndpoint.FromHost("forbidden.example", (ushort)echo.Port), "never looked up");

            // Handled in order: once the address datagram is echoed, the three before it were decided.
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "by address");
            Assert.Equal(["by address"], echo.Received.ToArray());
        }

        // Denied on the name before any lookup: not even the cache of looked-up names holds them.
        Assert.Equal(0, server.Context.UdpNames.Count);
        var end = await server.WaitForLineAsync(UdpEnd);
        Assert.Contains("datagrams_up=1 datagrams_down=1 dropped=3", end, StringComparison.Ordinal);
        Assert.Contains("drops=\"denied=3\"", end, StringComparison.Ordinal);
    }

    /// <summary>
    /// A running association keeps verdicts on its destinations, but only for the rules they were given under:
    /// after a reload the next datagram to a destination decided before is decided by the new rules.
    /// </summary>
    [Fact]
    public async Task A_reload_decides_the_next_datagram_to_a_destination_already_decided()
    {
        await using var echo = new UdpEcho(IPAddress.Loopback);
        await using var other = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        var marker = other.EndPoint(IPAddress.Loopback);
        await using var server = TestServer.Start(o => o with { Rules = new RuleSet([AllowUdpHome()]) });
        await using var denying = Reloaded(server, DenyPort(echo.Port), AllowUdpHome());
        await using var allowing = Reloaded(server, AllowUdpHome());
        using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            // Allowed, and the verdict kept: the second datagram is sent on that verdict.
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "before");
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "before again");

            // A reload denies the destination: the association already sends there, and its next datagram is dropped.
            server.Server.Swap(denying);
            await client.SendAsync(SocksEndpoint.FromEndPoint(target), "after the deny");
            await client.SendAsync(SocksEndpoint.FromEndPoint(target), "after the deny, again");

            // Handled in order: once the marker is echoed, both datagrams before it were decided.
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(marker), marker, "marker");
            Assert.Equal(["before", "before again"], echo.Received.ToArray());

            // The denial is not kept past the next reload either.
            server.Server.Swap(allowing);
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "allowed again");
        }

        var end = await server.WaitForLineAsync(UdpEnd);
        Assert.Contains("datagrams_up=4 datagrams_down=4 dropped=2", end, StringComparison.Ordinal);
        Assert.Contains("drops=\"denied=2\"", end, StringComparison.Ordinal);
    }

    private static AccessRule DenyPort(int port) =>
        new() { Action = RuleAction.Deny, Name = "not this port", To = To("127.0.0.0/8"), Ports = PortSet.Of((ushort)port) };

    /// <summary>The context a reload of the server to these rules would put in force (not yet swapped in).</summary>
    private static SessionContext Reloaded(TestServer server, params AccessRule[] rules) =>
        new(server.Options with { Rules = new RuleSet(rules) }, null, server.RequestLog, NullLogger.Instance, TimeProvider.System, guards: server.Context.Guards, metrics: server.Context.Metrics);

    public static TheoryData<string> LoopbackSpelledOddly => new() { "127.1", "2130706433", "0x7f.1", "0177.0.0.1" };

    [Theory]
    [MemberData(nameof(LoopbackSpelledOddly))]
    public async Task Odd_spellings_of_an_address_are_names_decided_on_the_address_they_stand_for(string name)
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var deniedUdp = new UdpEcho(IPAddress.Loopback);
        await using var allowedUdp = new UdpEcho(IPAddress.Loopback);
        var allowed = allowedUdp.EndPoint(IPAddress.Loopback);
        await using var server = Start(null, null,
            new AccessRule { Action = RuleAction.Deny, Name = "home, these ports", To = To("127.0.0.0/8"), Ports = PortSet.Of((ushort)echo.EndPoint.Port, (ushort)deniedUdp.Port) },
            Allow());

        // Over TCP: the name is resolved, and the address it stands for meets the network rule.
        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, (await client.ConnectSocks5Async(SocksEndpoint.FromHost(name, (ushort)echo.EndPoint.Port))).Code);
        }

        Assert.True(echo.Peers.IsEmpty);

        // In a datagram the same: dropped, while the association goes on.
        using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            await client.SendAsync(SocksEndpoint.FromHost(name, (ushort)deniedUdp.Port), "odd name");
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(allowed), allowed, "allowed");
        }

        Assert.Empty(deniedUdp.Received);
        var end = await server.WaitForLineAsync(UdpEnd);
        Assert.Contains("drops=\"denied=1\"", end, StringComparison.Ordinal);
    }

    private sealed class DictionaryVerifier(Dictionary<string, string> users) : ICredentialVerifier
    {
        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CredentialVerdict(users.TryGetValue(userName, out var p) && p == password, "test"));
    }
}
