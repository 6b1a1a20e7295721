using System.Net;

namespace Windsock.Protocol.Socks5;

/// <summary>
/// A SOCKS5 reply.
/// <code>
/// +----+-----+-------+------+----------+----------+
/// |VER | REP |  RSV  | ATYP | BND.ADDR | BND.PORT |
/// +----+-----+-------+------+----------+----------+
/// | 1  |  1  | X'00' |  1   | Variable |    2     |
/// +----+-----+-------+------+----------+----------+
/// </code>
/// </summary>
public readonly record struct Socks5Reply(Socks5ReplyCode Code, SocksEndpoint Bound)
{
    /// <summary>Where a failure reply has no address to report: 0.0.0.0:0, as RFC 1928 servers customarily send.</summary>
    public static SocksEndpoint Unspecified { get; } = SocksEndpoint.FromAddress(IPAddress.Any, 0);

    public static Socks5Reply Failure(Socks5ReplyCode code) => new(code, Unspecified);

    public int EncodedLength => 3 + Bound.Socks5EncodedLength;

    public int Write(Span<byte> destination)
    {
        destination[0] = Socks5Greeting.Version;
        destination[1] = (byte)Code;
        destination[2] = 0;
        return 3 + Socks5Address.Write(destination[3..], Bound);
    }

    public static ParseResult TryParse(ReadOnlySpan<byte> input, out Socks5Reply reply)
    {
        reply = default;
        if (input.IsEmpty)
        {
            return ParseResult.NeedMore;
        }

        if (input[0] != Socks5Greeting.Version)
        {
            return ParseResult.Fail(ProtocolError.UnsupportedVersion);
        }

        if (input.Length < 3)
        {
            return ParseResult.NeedMore;
        }

        if (input[2] != 0)
        {
            return ParseResult.Fail(ProtocolError.ReservedNotZero);
        }

        var address = Socks5Address.TryRead(input[3..], out var bound);
        if (!address.IsDone)
        {
            return address;
        }

        reply = new Socks5Reply((Socks5ReplyCode)input[1], bound);
        return ParseResult.Done(3 + address.Consumed);
    }
}
