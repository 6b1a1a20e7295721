using Windsock.Client.Tests.Support;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>
/// The BIND and UDP scenarios that pass against Dante, aimed at the Windsock server. BIND is skipped until the
/// server's BIND is merged: then remove the Skip (filter: Trait "Server" = "Windsock-pending").
/// </summary>
[Trait("Server", "Windsock-pending")]
public class WindsockPendingTests
{
    private const string Pending = "Windsock server BIND is not merged yet; enable after the merge.";

    [Theory(Skip = Pending)]
    [InlineData(SocksProtocol.Socks5)]
    [InlineData(SocksProtocol.Socks4)]
    public async Task Bind_accepts_one_peer(SocksProtocol protocol)
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start();
        await Scenarios.BindAcceptsOnePeerAsync(server.EndPoint, protocol, cts.Token);
    }

    [Fact]
    public async Task Udp_association_round_trips_datagrams()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start();
        await Scenarios.UdpRoundTripAsync(server.EndPoint, cts.Token);
    }
}
