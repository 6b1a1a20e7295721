using System.Net;
using Windsock.Client;
using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>One datagram through a SOCKS5 UDP association and back, the way tests learn a relay has read what came before it.</summary>
public static class UdpRelayExchange
{
    /// <summary>
    /// Sends <paramref name="payload"/> through the relay to the UDP echo at <paramref name="echo"/> and expects it back
    /// from there. A relay reads its client socket in order, so the echo also means every datagram sent before it was handled.
    /// </summary>
    public static async Task EchoAsync(SocksUdpClient udp, IPEndPoint echo, byte[] payload, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(udp);
        await udp.SendAsync(payload, echo, token);
        var (received, from) = await udp.ReceiveAsync(token);
        Assert.Equal(payload, received.ToArray());
        Assert.Equal(echo, from);
    }
}
