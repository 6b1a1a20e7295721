using System.Net;
using Windsock.Protocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>
/// Names the system resolver refuses outright (it throws ArgumentException for text that parses as the
/// unspecified address): a reply code and a request-log reason for CONNECT and BIND, a counted drop for a
/// UDP datagram. Never "internal error", never the end of an association (issue 18 item 7).
/// </summary>
public class RefusedNameTests
{
    public static TheoryData<string> RefusedNames => new() { "0", "0.0.0.0", "::" };

    private static bool EndLine(string line) => line.Contains(" end ", StringComparison.Ordinal);

    private static async Task AssertAnsweredAsync(TestServer server, string name)
    {
        var end = await server.WaitForLineAsync(EndLine);
        Assert.Contains($"cannot resolve {name}", end, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", end, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RefusedNames))]
    public async Task Socks5_connect_to_a_refused_name_is_host_unreachable(string name)
    {
        await using var server = TestServer.Start();
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        var reply = await client.ConnectSocks5Async(SocksEndpoint.FromHost(name, 80));

        Assert.Equal(Socks5ReplyCode.HostUnreachable, reply.Code);
        await AssertAnsweredAsync(server, name);
    }

    [Fact]
    public async Task Socks4a_connect_to_a_refused_name_is_91()
    {
        await using var server = TestServer.Start();
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        var reply = await client.ConnectSocks4Async(SocksEndpoint.FromHost("0", 80), "alice");

        Assert.Equal(Socks4ReplyCode.RejectedOrFailed, reply.Code);
        await AssertAnsweredAsync(server, "0");
    }

    [Theory]
    [MemberData(nameof(RefusedNames))]
    public async Task Bind_naming_a_refused_name_is_host_unreachable(string name)
    {
        await using var server = TestServer.Start();
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));

        var reply = await client.RequestAsync(Socks5Command.Bind, SocksEndpoint.FromHost(name, 21));

        Assert.Equal(Socks5ReplyCode.HostUnreachable, reply.Code);
        await AssertAnsweredAsync(server, name);
    }

    [Fact]
    public async Task A_datagram_naming_a_refused_name_is_dropped_and_the_association_goes_on()
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            await client.SendAsync(SocksEndpoint.FromHost("0", (ushort)echo.Port), "to zero");
            await client.SendAsync(SocksEndpoint.FromHost("0.0.0.0", (ushort)echo.Port), "to zeros");
            // Datagrams are handled in order: the echo coming back proves the association outlived both.
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "still relaying");
        }

        var end = await server.WaitForLineAsync(l => EndLine(l) && l.Contains("command=udp-associate", StringComparison.Ordinal));
        Assert.Contains("datagrams_up=1 datagrams_down=1 dropped=2", end, StringComparison.Ordinal);
        Assert.Contains("drops=\"unresolved=2\"", end, StringComparison.Ordinal);
        Assert.Contains("reason=\"control connection closed\"", end, StringComparison.Ordinal);
    }
}
