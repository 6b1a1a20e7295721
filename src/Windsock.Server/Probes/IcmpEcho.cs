using System.Buffers.Binary;

namespace Windsock.Server.Probes;

/// <summary>
/// ICMP / ICMPv6 echo messages (RFC 792, RFC 4443): type, code, checksum, identifier, sequence, data.
/// The kernel fills the checksum of ICMPv6 (and of IPv4 datagram sockets, which also set the identifier
/// themselves); raw IPv4 needs it computed here.
/// </summary>
internal static class IcmpEcho
{
    public const int HeaderLength = 8;

    /// <summary>Writes an echo request and returns its length.</summary>
    public static int WriteRequest(Span<byte> destination, bool ipv6, ushort identifier, ushort sequence, int dataLength)
    {
        destination[0] = ipv6 ? (byte)128 : (byte)8;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], identifier);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], sequence);
        for (int i = 0; i < dataLength; i++)
        {
            // iputils' pattern: the data bytes count up, so a corrupted reply is recognisable in a capture.
            destination[HeaderLength + i] = (byte)i;
        }

        int length = HeaderLength + dataLength;
        if (!ipv6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Checksum(destination[..length]));
        }

        return length;
    }

    /// <summary>Reads an echo reply: its identifier and sequence; false for any other message.</summary>
    public static bool TryReadReply(ReadOnlySpan<byte> message, bool ipv6, out ushort identifier, out ushort sequence)
    {
        identifier = 0;
        sequence = 0;
        if (message.Length < HeaderLength || message[0] != (ipv6 ? 129 : 0))
        {
            return false;
        }

        identifier = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        sequence = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        return true;
    }

    /// <summary>Reads the quoted start of one of our echo requests (from an ICMP error): its identifier and sequence.</summary>
    public static bool TryReadQuotedRequest(ReadOnlySpan<byte> quoted, bool ipv6, out ushort identifier, out ushort sequence)
    {
        identifier = 0;
        sequence = 0;
        if (quoted.Length < HeaderLength || quoted[0] != (ipv6 ? 128 : 8))
        {
            return false;
        }

        identifier = BinaryPrimitives.ReadUInt16BigEndian(quoted[4..]);
        sequence = BinaryPrimitives.ReadUInt16BigEndian(quoted[6..]);
        return true;
    }

    /// <summary>The Internet checksum (RFC 1071).</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)(data[i] << 8);
        }

        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
