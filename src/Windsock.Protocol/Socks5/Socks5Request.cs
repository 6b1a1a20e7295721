namespace Windsock.Protocol.Socks5;

/// <summary>
/// A SOCKS5 request.
/// <code>
/// +----+-----+-------+------+----------+----------+
/// |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
/// +----+-----+-------+------+----------+----------+
/// | 1  |  1  | X'00' |  1   | Variable |    2     |
/// +----+-----+-------+------+----------+----------+
/// </code>
/// RSV is not checked: RFC 1928 gives it no meaning, and rejecting clients for it helps nobody. It is kept in
/// <see cref="Reserved"/>: for PING and TRACEROUTE, X'01' says an options line follows (docs/protocol-extensions.md).
/// </summary>
public readonly record struct Socks5Request(Socks5Command Command, SocksEndpoint Destination, byte Reserved = 0)
{
    /// <summary>RSV of a PING or TRACEROUTE request whose options line follows it.</summary>
    public const byte ProbeOptionsFollow = 0x01;

    private const int FixedLength = 3;

    public static ParseResult TryParse(ReadOnlySpan<byte> input, out Socks5Request request)
    {
        request = default;
        if (input.IsEmpty)
        {
            return ParseResult.NeedMore;
        }

        if (input[0] != Socks5Greeting.Version)
        {
            return ParseResult.Fail(ProtocolError.UnsupportedVersion);
        }

        if (input.Length < FixedLength)
        {
            return ParseResult.NeedMore;
        }

        var address = Socks5Address.TryRead(input[FixedLength..], out var destination);
        if (!address.IsDone)
        {
            return address;
        }

        request = new Socks5Request((Socks5Command)input[1], destination, input[2]);
        return ParseResult.Done(FixedLength + address.Consumed);
    }

    public int EncodedLength => FixedLength + Destination.Socks5EncodedLength;

    public int Write(Span<byte> destination)
    {
        destination[0] = Socks5Greeting.Version;
        destination[1] = (byte)Command;
        destination[2] = Reserved;
        return FixedLength + Socks5Address.Write(destination[FixedLength..], Destination);
    }
}
