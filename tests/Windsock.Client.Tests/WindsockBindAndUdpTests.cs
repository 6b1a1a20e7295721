using Windsock.Client.Tests.Support;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>
/// The BIND and UDP scenarios that pass against Dante, aimed at the Windsock server too.
/// </summary>
[Trait("Server", "Windsock")]
public class WindsockBindAndUdpTests
{
    [Theory]
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
