using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Windsock.Protocol.Socks5;

/// <summary>
/// The ATYP | ADDR | PORT triple that SOCKS5 requests, replies and UDP headers share.
/// <code>
/// +------+----------+----------+
/// | ATYP |   ADDR   |   PORT   |
/// +------+----------+----------+
/// |  1   | Variable |    2     |
/// +------+----------+----------+
/// </code>
/// </summary>
public static class Socks5Address
{
    /// <summary>Parses ATYP, address and port from the start of <paramref name="input"/>.</summary>
    public static ParseResult TryRead(ReadOnlySpan<byte> input, out SocksEndpoint endpoint)
    {
        endpoint = default;
        if (input.IsEmpty)
        {
            return ParseResult.NeedMore;
        }

        switch ((AddressType)input[0])
        {
            case AddressType.IPv4:
                if (input.Length < 1 + 4 + 2)
                {
                    return ParseResult.NeedMore;
                }

                endpoint = SocksEndpoint.FromAddress(new IPAddress(input.Slice(1, 4)), BinaryPrimitives.ReadUInt16BigEndian(input[5..]));
                return ParseResult.Done(7);

            case AddressType.IPv6:
                if (input.Length < 1 + 16 + 2)
                {
                    return ParseResult.NeedMore;
                }

                endpoint = SocksEndpoint.FromAddress(new IPAddress(input.Slice(1, 16)), BinaryPrimitives.ReadUInt16BigEndian(input[17..]));
                return ParseResult.Done(19);

            case AddressType.DomainName:
                if (input.Length < 2)
                {
                    return ParseResult.NeedMore;
                }

                int length = input[1];
                if (length == 0)
                {
                    return ParseResult.Fail(ProtocolError.EmptyHostName);
                }

                // Check the name's bytes as far as they have arrived, so junk fails before the rest comes.
                var available = input.Slice(2, Math.Min(length, input.Length - 2));
                if (HostName.Validate(available) is var nameError and not ProtocolError.None and not ProtocolError.EmptyHostName)
                {
                    return ParseResult.Fail(nameError);
                }

                if (input.Length < 2 + length + 2)
                {
                    return ParseResult.NeedMore;
                }

                var host = Encoding.ASCII.GetString(input.Slice(2, length));
                endpoint = SocksEndpoint.FromValidatedHost(host, BinaryPrimitives.ReadUInt16BigEndian(input[(2 + length)..]));
                return ParseResult.Done(2 + length + 2);

            default:
                return ParseResult.Fail(ProtocolError.UnsupportedAddressType);
        }
    }

    /// <summary>Writes ATYP, address and port; returns the number of bytes written.</summary>
    public static int Write(Span<byte> destination, SocksEndpoint endpoint)
    {
        int length = endpoint.Socks5EncodedLength;
        if (destination.Length < length)
        {
            throw new ArgumentException("Destination is too small for the SOCKS5 address.", nameof(destination));
        }

        destination[0] = (byte)endpoint.Type;
        int offset = 1;
        switch (endpoint.Type)
        {
            case AddressType.IPv4:
            case AddressType.IPv6:
                if (!endpoint.Address!.TryWriteBytes(destination[1..], out int written))
                {
                    throw new InvalidOperationException("Address did not fit.");
                }

                offset += written;
                break;
            default:
                var host = endpoint.Host!;
                destination[1] = (byte)host.Length;
                offset += 1 + Encoding.ASCII.GetBytes(host, destination[2..]);
                break;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], endpoint.Port);
        return offset + 2;
    }
}
