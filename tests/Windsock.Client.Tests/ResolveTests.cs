using System.Net;
using Windsock.Client.Tests.Support;
using Windsock.Policy;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>SocksClient.ResolveAsync / ResolvePtrAsync (Tor's RESOLVE and RESOLVE_PTR) against the real Windsock server in process.</summary>
public class ResolveTests
{
    [Fact]
    public async Task Resolve_returns_the_address_the_proxy_answers()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start();
        var client = new SocksClient(new ProxyHop(server.EndPoint));

        Assert.Equal(IPAddress.Loopback, await client.ResolveNameAsync("localhost", cts.Token));
        Assert.Equal(IPAddress.Parse("192.0.2.1"), await client.ResolveNameAsync("192.0.2.1", cts.Token));
    }

    [Fact]
    public async Task Resolve_ptr_returns_the_name_the_proxy_answers()
    {
        using var cts = Bounded.Cts();
        var expected = (await Dns.GetHostEntryAsync(IPAddress.Loopback)).HostName;
        await using var server = TestServer.Start();
        var client = new SocksClient(new ProxyHop(server.EndPoint));

        Assert.Equal(expected, await client.ResolveAddressAsync(IPAddress.Loopback, cts.Token));
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_a_command_failure_with_code_4()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start();
        var client = new SocksClient(new ProxyHop(server.EndPoint));

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ResolveNameAsync("no-such-host.invalid", cts.Token));
        Assert.Equal(SocksErrorKind.CommandFailed, e.Kind);
        Assert.Equal(4, e.ReplyCode);
        Assert.Contains("RESOLVE", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_denial_carries_code_2_and_the_rules_reason()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start(o => o with
        {
            Rules = new RuleSet(
            [
                new AccessRule { Action = RuleAction.Deny, Commands = CommandSet.Of(PolicyCommand.Resolve), Reason = "no lookups here" },
                new AccessRule { Action = RuleAction.Allow },
            ]),
        });
        var client = new SocksClient(new ProxyHop(server.EndPoint));

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ResolveNameAsync("localhost", cts.Token));
        Assert.Equal(SocksErrorKind.CommandFailed, e.Kind);
        Assert.Equal(2, e.ReplyCode);
        Assert.Equal("no lookups here", e.Reason);
    }

    [Fact]
    public async Task Resolve_needs_a_socks5_last_hop()
    {
        await using var server = TestServer.Start();
        var client = new SocksClient(new ProxyHop(server.EndPoint, SocksProtocol.Socks4a));
        await Assert.ThrowsAsync<NotSupportedException>(() => client.ResolveNameAsync("localhost"));
        await Assert.ThrowsAsync<NotSupportedException>(() => client.ResolveAddressAsync(IPAddress.Loopback));
    }

    [Fact]
    public async Task Resolve_goes_through_a_chain_to_the_last_hop()
    {
        using var cts = Bounded.Cts();
        await using var first = TestServer.Start();
        await using var last = TestServer.Start();
        var client = new SocksClient(new ProxyChain(new ProxyHop(first.EndPoint), new ProxyHop(last.EndPoint)));

        Assert.Equal(IPAddress.Loopback, await client.ResolveNameAsync("localhost", cts.Token));
        await last.WaitForLineAsync(l => l.Contains("resolved to 127.0.0.1", StringComparison.Ordinal));
    }
}
