using System.Net;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Commands;

/// <summary>Tor's RESOLVE (X'F0') and RESOLVE_PTR (X'F1') end to end in process, with the system resolver.</summary>
public class ResolveTests
{
    private static async Task<(Socks5Reply Reply, RawClient Client)> AskAsync(TestServer server, Socks5Command command, SocksEndpoint destination)
    {
        var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));
        return (await client.RequestAsync(command, destination), client);
    }

    private static DestinationSet To(string text)
    {
        Assert.True(DestinationSet.TryParse(text, out var set, out var error), error);
        return set;
    }

    private static TestServer Start(params AccessRule[] rules) => TestServer.Start(o => o with { Rules = new RuleSet(rules) });

    private static AccessRule Allow() => new() { Action = RuleAction.Allow, Name = "everything" };

    [Fact]
    public async Task Resolve_answers_localhost_with_127_0_0_1_port_0_and_closes()
    {
        await using var server = TestServer.Start();
        var (reply, client) = await AskAsync(server, Socks5Command.Resolve, SocksEndpoint.FromHost("localhost", 0));
        using (client)
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);
            Assert.Equal(IPAddress.Loopback, reply.Bound.Address);
            Assert.Equal(0, reply.Bound.Port);
            Assert.True(await client.IsClosedByServerAsync());
        }

        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("resolve", end, StringComparison.Ordinal);
        Assert.Contains("resolved to 127.0.0.1", end, StringComparison.Ordinal);
        Assert.DoesNotContain("connected=127", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_of_an_address_answers_the_address()
    {
        await using var server = TestServer.Start();
        var (reply, client) = await AskAsync(server, Socks5Command.Resolve, SocksEndpoint.FromAddress(IPAddress.Parse("192.0.2.7"), 0));
        using (client)
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);
            Assert.Equal(IPAddress.Parse("192.0.2.7"), reply.Bound.Address);
        }
    }

    [Fact]
    public async Task Resolve_of_a_name_that_does_not_exist_is_4()
    {
        await using var server = TestServer.Start();
        var (reply, client) = await AskAsync(server, Socks5Command.Resolve, SocksEndpoint.FromHost("no-such-host.invalid", 0));
        using (client)
        {
            Assert.Equal(Socks5ReplyCode.HostUnreachable, reply.Code);
        }

        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("cannot resolve no-such-host.invalid", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_ptr_of_127_0_0_1_answers_the_resolvers_name()
    {
        var expected = (await Dns.GetHostEntryAsync(IPAddress.Loopback)).HostName;
        await using var server = TestServer.Start();
        var (reply, client) = await AskAsync(server, Socks5Command.ResolvePtr, SocksEndpoint.FromAddress(IPAddress.Loopback, 0));
        using (client)
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);
            Assert.Equal(AddressType.DomainName, reply.Bound.Type);
            Assert.Equal(expected, reply.Bound.Host);
            Assert.Equal(0, reply.Bound.Port);
            Assert.True(await client.IsClosedByServerAsync());
        }
    }

    [Fact]
    public async Task Resolve_ptr_of_a_name_is_8()
    {
        await using var server = TestServer.Start();
        var (reply, client) = await AskAsync(server, Socks5Command.ResolvePtr, SocksEndpoint.FromHost("localhost", 0));
        using (client)
        {
            Assert.Equal(Socks5ReplyCode.AddressTypeNotSupported, reply.Code);
        }
    }

    [Fact]
    public async Task A_rule_denying_the_resolve_command_answers_2()
    {
        await using var server = Start(
            new AccessRule { Action = RuleAction.Deny, Name = "no lookups", Commands = CommandSet.Of(PolicyCommand.Resolve, PolicyCommand.ResolvePtr) },
            Allow());
        var (reply, client) = await AskAsync(server, Socks5Command.Resolve, SocksEndpoint.FromHost("localhost", 0));
        using (client)
        {
            Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, reply.Code);
        }

        (reply, client) = await AskAsync(server, Socks5Command.ResolvePtr, SocksEndpoint.FromAddress(IPAddress.Loopback, 0));
        using (client)
        {
            Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, reply.Code);
        }

        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("no lookups", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_resolving_into_a_denied_network_is_answered_2()
    {
        await using var server = Start(
            new AccessRule { Action = RuleAction.Deny, Name = "no loopback", To = To("127.0.0.0/8") },
            Allow());
        var (reply, client) = await AskAsync(server, Socks5Command.Resolve, SocksEndpoint.FromHost("localhost", 0));
        using (client)
        {
            Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, reply.Code);
            Assert.Equal(IPAddress.Any, reply.Bound.Address);
        }

        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("no loopback", end, StringComparison.Ordinal);
        Assert.DoesNotContain("resolved to", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_names_still_resolve_under_a_network_rule()
    {
        await using var server = Start(
            new AccessRule { Action = RuleAction.Deny, Name = "no test net", To = To("192.0.2.0/24") },
            Allow());
        var (reply, client) = await AskAsync(server, Socks5Command.Resolve, SocksEndpoint.FromHost("localhost", 0));
        using (client)
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);
            Assert.Equal(IPAddress.Loopback, reply.Bound.Address);
        }
    }
}
