using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Server.Sessions;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Access;

/// <summary>
/// A running association keeps verdicts on its destinations, but only for the rules they were given under:
/// after a reload the next datagram to a destination decided before is decided by the new rules.
/// </summary>
public class UdpReloadTests
{
    private static DestinationSet To(string text)
    {
        Assert.True(DestinationSet.TryParse(text, out var set, out var error), error);
        return set;
    }

    private static readonly AccessRule AllowUdpHome =
        new() { Action = RuleAction.Allow, Name = "udp home", Commands = CommandSet.Of(PolicyCommand.UdpAssociate), To = To("127.0.0.0/8, ::1") };

    private static AccessRule DenyPort(int port) =>
        new() { Action = RuleAction.Deny, Name = "not this port", To = To("127.0.0.0/8"), Ports = PortSet.Of((ushort)port) };

    private static bool UdpEnd(string line) => line.Contains(" end ", StringComparison.Ordinal) && line.Contains("command=udp-associate", StringComparison.Ordinal);

    [Fact]
    public async Task A_reload_decides_the_next_datagram_to_a_destination_already_decided()
    {
        await using var echo = new UdpEcho(IPAddress.Loopback);
        await using var other = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        var marker = other.EndPoint(IPAddress.Loopback);
        await using var server = TestServer.Start(o => o with { Rules = new RuleSet([AllowUdpHome]) });
        await using var denying = Reloaded(server, DenyPort(echo.Port), AllowUdpHome);
        await using var allowing = Reloaded(server, AllowUdpHome);
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

    /// <summary>The context a reload of the server to these rules would put in force (not yet swapped in).</summary>
    private static SessionContext Reloaded(TestServer server, params AccessRule[] rules) =>
        new(server.Options with { Rules = new RuleSet(rules) }, null, server.RequestLog, NullLogger.Instance, TimeProvider.System, guards: server.Context.Guards, metrics: server.Context.Metrics);
}
