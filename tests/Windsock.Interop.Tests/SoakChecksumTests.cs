using System.Net;
using System.Net.Sockets;
using Windsock.Bench;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The soak's "0 corrupt" means something only if its checks see damage: one flipped byte between the
/// ends of a <see cref="ChecksumFrame"/> is reported by the receiver and by the sender's check of the echo,
/// and a datagram whose hash does not match is refused by the soak's UDP echo.
/// </summary>
public sealed class SoakChecksumTests
{
    [Fact]
    public async Task One_flipped_byte_on_the_way_is_seen_at_both_ends()
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await sender.ConnectAsync(listener.LocalEndPoint!, ct);
        using var receiver = await listener.AcceptAsync(ct);

        // A "relay" that damages byte 1000 of the payload: the sender writes to a buffer, the test forwards it.
        using var middle = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var innerListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        innerListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        innerListener.Listen(1);
        await middle.ConnectAsync(innerListener.LocalEndPoint!, ct);
        using var far = await innerListener.AcceptAsync(ct);

        const int Length = 4096;
        var hash = await ChecksumFrame.SendAsync(sender, Length, ct);
        var frame = new byte[ChecksumFrame.HeaderLength + Length];
        await SocketIo.ReceiveExactlyAsync(receiver, frame, ct);
        frame[ChecksumFrame.HeaderLength + 1000] ^= 0x01;
        await SocketIo.SendAllAsync(middle, frame, ct);

        Assert.False(await ChecksumFrame.ReceiveAndAnswerAsync(far, ct)); // the far end sees the damage
        var (sawIntact, echoIntact) = await ChecksumFrame.ReadAnswerAsync(middle, Length, hash, ct);
        Assert.False(sawIntact);
        Assert.False(echoIntact); // and the sender's check of the echo, against the hash it sent
    }

    [Fact]
    public void A_datagram_whose_hash_does_not_match_is_not_intact()
    {
        var payload = new byte[100];
        Random.Shared.NextBytes(payload);
        byte[] datagram = [.. System.Security.Cryptography.SHA256.HashData(payload), .. payload];
        Assert.True(ChecksumFrame.IsIntactDatagram(datagram));
        datagram[^1] ^= 0x80;
        Assert.False(ChecksumFrame.IsIntactDatagram(datagram));
        Assert.False(ChecksumFrame.IsIntactDatagram(new byte[31]));
    }
}
