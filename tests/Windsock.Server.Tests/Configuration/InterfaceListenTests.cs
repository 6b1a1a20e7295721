using System.Net;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>listen = ["lo:PORT"]: an interface name stands for its addresses; a wrong name is a located error.</summary>
public sealed class InterfaceListenTests
{
    private const string FileName = "/etc/windsock/windsock.toml";

    [Fact]
    public void The_loopback_interface_name_listens_on_its_addresses()
    {
        ServerOptions options = ConfigLoader.Parse("[server]\nlisten = [\"lo:0\"]\n", FileName);

        Assert.Contains(new IPEndPoint(IPAddress.Loopback, 0), options.Listen);
        Assert.All(options.Listen, e => Assert.True(IPAddress.IsLoopback(e.Address), $"{e} is not on lo"));
    }

    [Fact]
    public void An_unknown_interface_is_an_error_naming_the_ones_there_are()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[server]\nlisten = [\"eth99:1080\"]\n", FileName));

        Assert.Contains("\"eth99\" is not an IP address, nor a network interface on this host", error.Message, StringComparison.Ordinal);
        Assert.Contains("lo", error.Fix, StringComparison.Ordinal);
        Assert.Equal((2, 11), (error.Line, error.Column));
    }

    [Fact]
    public async Task A_server_listening_by_interface_name_serves()
    {
        await using var server = Windsock.Testing.TestServer.Start(o => o with { Listen = ConfigLoader.Parse("[server]\nlisten = [\"lo:0\"]\n", FileName).Listen });
        using var client = await Support.RawClient.ConnectAsync(server.EndPoint);

        Assert.Equal((byte)Protocol.Socks5.AuthMethod.None, await client.GreetAsync(Protocol.Socks5.AuthMethod.None));
    }
}
