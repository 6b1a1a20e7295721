using System.Buffers.Binary;

namespace Windsock.Protocol.Socks5;

/// <summary>
/// The header in front of every datagram a SOCKS5 UDP relay carries (RFC 1928 section 7), both ways:
/// from the client it names the destination, towards the client it names the remote sender.
/// <code>
/// +----+------+------+----------+----------+----------+
/// |RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
/// +----+------+------+----------+----------+----------+
/// | 2  |  1   |  1   | Variable |    2     | Variable |
/// +----+------+------+----------+----------+----------+
/// </code>
/// A datagram arrives whole, so unlike the stream parsers this one never answers NeedMore: a datagram
/// that ends inside the header is <see cref="ProtocolError.TruncatedDatagram"/>. FRAG is returned as
/// sent; whether to drop fragments (a relay that does not reassemble must) is the caller's decision.
/// </summary>
public readonly record struct Socks5UdpHeader(byte Fragment, SocksEndpoint Address)
{
    private const int FixedLength = 3;

    /// <summary>True when FRAG is zero, i.e. the datagram is standalone rather than part of a sequence.</summary>
    public bool IsStandalone => Fragment == 0;

    /// <summary>
    /// The length <see cref="Write"/> produces. Not always the length that was parsed: an IPv4-mapped IPv6
    /// address on the wire is read as its IPv4 address, 12 bytes shorter; cut a payload at the parse's Consumed.
    /// </summary>
    public int EncodedLength => FixedLength + Address.Socks5EncodedLength;

    /// <summary>
    /// Parses the header of a whole datagram. On Done, <see cref="ParseResult.Consumed"/> is the header's
    /// length and the payload is <c>datagram[Consumed..]</c> (possibly empty).
    /// </summary>
    public static ParseResult TryParse(ReadOnlySpan<byte> datagram, out Socks5UdpHeader header)
    {
        header = default;

        // RSV first, on whatever part of it arrived: a non-zero byte there says "not a SOCKS5 UDP
        // datagram at all" (a stray protocol, a misdirected packet), which is the better diagnosis.
        if ((datagram.Length > 0 && datagram[0] != 0) || (datagram.Length > 1 && datagram[1] != 0))
        {
            return ParseResult.Fail(ProtocolError.ReservedNotZero);
        }

        if (datagram.Length < FixedLength)
        {
            return ParseResult.Fail(ProtocolError.TruncatedDatagram);
        }

        var address = Socks5Address.TryRead(datagram[FixedLength..], out var endpoint);
        switch (address.Status)
        {
            case ParseStatus.Done:
                header = new Socks5UdpHeader(datagram[2], endpoint);
                return ParseResult.Done(FixedLength + address.Consumed);
            case ParseStatus.NeedMore:
                // Nothing more will come: the datagram is all there is.
                return ParseResult.Fail(ProtocolError.TruncatedDatagram);
            default:
                return address;
        }
    }

    /// <summary>
    /// A relay's per-datagram parse: true when the header is well formed and names an IPv4 or IPv6 address,
    /// which is handed back as the bytes on the wire (no <see cref="System.Net.IPAddress"/> is made); false for
    /// a host name or anything malformed, which <see cref="TryParse"/> then reads or diagnoses. Whenever this
    /// answers true, <see cref="TryParse"/> is Done with the same FRAG, address, port and length.
    /// </summary>
    public static bool TryReadAddressLiteral(ReadOnlySpan<byte> datagram, out byte fragment, out ReadOnlySpan<byte> address, out ushort port, out int headerLength)
    {
        fragment = 0;
        address = default;
        port = 0;
        headerLength = 0;
        if (datagram.Length <= FixedLength || datagram[0] != 0 || datagram[1] != 0)
        {
            return false;
        }

        int addressLength = (AddressType)datagram[FixedLength] switch
        {
            AddressType.IPv4 => 4,
            AddressType.IPv6 => 16,
            _ => 0,
        };
        int length = FixedLength + 1 + addressLength + 2;
        if (addressLength == 0 || datagram.Length < length)
        {
            return false;
        }

        fragment = datagram[2];
        address = datagram.Slice(FixedLength + 1, addressLength);
        port = BinaryPrimitives.ReadUInt16BigEndian(datagram[(length - 2)..]);
        headerLength = length;
        return true;
    }

    /// <summary>Writes RSV, FRAG and the address; returns the header's length. The payload goes right behind it.</summary>
    public int Write(Span<byte> destination)
    {
        int length = EncodedLength;
        if (destination.Length < length)
        {
            throw new ArgumentException("Destination is too small for the SOCKS5 UDP header.", nameof(destination));
        }

        destination[0] = 0;
        destination[1] = 0;
        destination[2] = Fragment;
        return FixedLength + Socks5Address.Write(destination[FixedLength..], Address);
    }
}
