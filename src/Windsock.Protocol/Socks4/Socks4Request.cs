using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Windsock.Protocol.Socks4;

/// <summary>
/// A SOCKS4 or SOCKS4a request.
/// <code>
/// +----+----+----+----+----+----+----+----+----+----+....+----+
/// | VN | CD | DSTPORT |      DSTIP        | USERID       |NULL|
/// +----+----+----+----+----+----+----+----+----+----+....+----+
///    1    1      2              4           variable       1
/// </code>
/// SOCKS4a: DSTIP is 0.0.0.x with x != 0, and HOSTNAME NULL follows the user id.
/// The user id is kept as text for logs and ident checks; bytes outside ASCII become '?'.
/// </summary>
public readonly record struct Socks4Request(Socks4Command Command, SocksEndpoint Destination, string UserId)
{
    public const byte Version = 0x04;
    private const int FixedLength = 8;

    /// <summary>True when the request named a host (SOCKS4a) rather than an address.</summary>
    public bool IsSocks4a => Destination.IsHostName;

    public static ParseResult TryParse(ReadOnlySpan<byte> input, out Socks4Request request)
    {
        request = default;
        if (input.IsEmpty)
        {
            return ParseResult.NeedMore;
        }

        if (input[0] != Version)
        {
            return ParseResult.Fail(ProtocolError.UnsupportedVersion);
        }

        if (input.Length < 2)
        {
            return ParseResult.NeedMore;
        }

        var command = (Socks4Command)input[1];
        if (command is not (Socks4Command.Connect or Socks4Command.Bind))
        {
            return ParseResult.Fail(ProtocolError.UnsupportedCommand);
        }

        if (input.Length < FixedLength)
        {
            return ParseResult.NeedMore;
        }

        ushort port = BinaryPrimitives.ReadUInt16BigEndian(input[2..]);
        var ip = input.Slice(4, 4);
        bool isSocks4a = ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0;

        var rest = input[FixedLength..];
        int userEnd = rest.IndexOf((byte)0);
        if (userEnd < 0)
        {
            return rest.Length > SocksLimits.MaxUserIdLength ? ParseResult.Fail(ProtocolError.UserIdTooLong) : ParseResult.NeedMore;
        }

        if (userEnd > SocksLimits.MaxUserIdLength)
        {
            return ParseResult.Fail(ProtocolError.UserIdTooLong);
        }

        var userId = Encoding.ASCII.GetString(rest[..userEnd]);
        int consumed = FixedLength + userEnd + 1;

        SocksEndpoint destination;
        if (isSocks4a)
        {
            var hostPart = rest[(userEnd + 1)..];
            int hostEnd = hostPart.IndexOf((byte)0);
            var hostBytes = hostEnd < 0 ? hostPart : hostPart[..hostEnd];
            if (hostBytes.Length > SocksLimits.MaxHostNameLength)
            {
                return ParseResult.Fail(ProtocolError.HostNameTooLong);
            }

            var error = HostName.Validate(hostBytes);
            if (error is not ProtocolError.None and not ProtocolError.EmptyHostName)
            {
                return ParseResult.Fail(error);
            }

            if (hostEnd < 0)
            {
                return ParseResult.NeedMore;
            }

            if (error == ProtocolError.EmptyHostName)
            {
                return ParseResult.Fail(error);
            }

            destination = SocksEndpoint.FromValidatedHost(Encoding.ASCII.GetString(hostBytes), port);
            consumed += hostEnd + 1;
        }
        else
        {
            destination = SocksEndpoint.FromAddress(new IPAddress(ip), port);
        }

        request = new Socks4Request(command, destination, userId);
        return ParseResult.Done(consumed);
    }

    public int EncodedLength => FixedLength + UserId.Length + 1 + (IsSocks4a ? Destination.Host!.Length + 1 : 0);

    /// <summary>Writes the request; a host name destination is sent the SOCKS4a way with DSTIP 0.0.0.1.</summary>
    public int Write(Span<byte> destination)
    {
        if (Destination.Type == AddressType.IPv6)
        {
            throw new InvalidOperationException("SOCKS4 cannot carry an IPv6 destination.");
        }

        if (!IsSocks4a && Destination.Address!.GetAddressBytes() is [0, 0, 0, not 0])
        {
            // On the wire 0.0.0.x (x != 0) means "a SOCKS4a host name follows"; the server would wait for one.
            throw new InvalidOperationException("SOCKS4 cannot carry 0.0.0.x (x != 0): it is the SOCKS4a marker.");
        }

        if (UserId.Length > SocksLimits.MaxUserIdLength || UserId.Contains('\0', StringComparison.Ordinal))
        {
            throw new InvalidOperationException("A SOCKS4 user id is at most 255 bytes without NUL.");
        }

        destination[0] = Version;
        destination[1] = (byte)Command;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Destination.Port);
        if (IsSocks4a)
        {
            destination[4] = 0;
            destination[5] = 0;
            destination[6] = 0;
            destination[7] = 1;
        }
        else
        {
            Destination.Address!.TryWriteBytes(destination[4..], out _);
        }

        int offset = FixedLength + Encoding.ASCII.GetBytes(UserId, destination[FixedLength..]);
        destination[offset++] = 0;
        if (IsSocks4a)
        {
            offset += Encoding.ASCII.GetBytes(Destination.Host!, destination[offset..]);
            destination[offset++] = 0;
        }

        return offset;
    }
}
