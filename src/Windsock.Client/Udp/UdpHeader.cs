using Windsock.Protocol;
using Windsock.Protocol.Socks5;

namespace Windsock.Client.Udp;

/// <summary>
/// The header of every datagram to and from a SOCKS5 UDP relay (RFC 1928 section 7). Only the three
/// leading bytes are new; the address is the codec's <see cref="Socks5Address"/>.
/// <code>
/// +----+------+------+----------+----------+----------+
/// |RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
/// +----+------+------+----------+----------+----------+
/// | 2  |  1   |  1   | Variable |    2     | Variable |
/// +----+------+------+----------+----------+----------+
/// </code>
/// </summary>
internal static class UdpHeader
{
    private const int FixedLength = 3;

    public static int LengthFor(SocksEndpoint endpoint) => FixedLength + endpoint.Socks5EncodedLength;

    public static int Write(Span<byte> destination, SocksEndpoint endpoint)
    {
        destination[..FixedLength].Clear();
        return FixedLength + Socks5Address.Write(destination[FixedLength..], endpoint);
    }

    /// <summary>
    /// False for anything to drop: bad reserved bytes, a bad address, or FRAG != 0 (this client does
    /// not reassemble, and RFC 1928 lets it drop fragments).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out SocksEndpoint sender, out int headerLength)
    {
        sender = default;
        headerLength = 0;
        if (datagram.Length < FixedLength || datagram[0] != 0 || datagram[1] != 0 || datagram[2] != 0)
        {
            return false;
        }

        var address = Socks5Address.TryRead(datagram[FixedLength..], out sender);
        if (!address.IsDone)
        {
            return false;
        }

        headerLength = FixedLength + address.Consumed;
        return true;
    }
}
