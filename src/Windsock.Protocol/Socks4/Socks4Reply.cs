using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Protocol.Socks4;

/// <summary>
/// A SOCKS4 reply.
/// <code>
/// +----+----+----+----+----+----+----+----+
/// | VN | CD | DSTPORT |      DSTIP        |
/// +----+----+----+----+----+----+----+----+
///    1    1      2              4
/// </code>
/// VN is 0. An address that is not IPv4 is sent as 0.0.0.0 (SOCKS4 cannot express it).
/// </summary>
public readonly record struct Socks4Reply(Socks4ReplyCode Code, IPAddress Address, ushort Port)
{
    public const int Length = 8;
    private const byte ReplyVersion = 0x00;

    public static Socks4Reply Failure(Socks4ReplyCode code) => new(code, IPAddress.Any, 0);

    public int Write(Span<byte> destination)
    {
        destination[0] = ReplyVersion;
        destination[1] = (byte)Code;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Port);
        var address = Address.IsIPv4MappedToIPv6 ? Address.MapToIPv4() : Address;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(destination[4..], out _);
        }
        else
        {
            destination.Slice(4, 4).Clear();
        }

        return Length;
    }

    public static ParseResult TryParse(ReadOnlySpan<byte> input, out Socks4Reply reply)
    {
        reply = default;
        if (input.IsEmpty)
        {
            return ParseResult.NeedMore;
        }

        if (input[0] != ReplyVersion)
        {
            return ParseResult.Fail(ProtocolError.UnsupportedVersion);
        }

        if (input.Length < Length)
        {
            return ParseResult.NeedMore;
        }

        reply = new Socks4Reply((Socks4ReplyCode)input[1], new IPAddress(input.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(input[2..]));
        return ParseResult.Done(Length);
    }
}
