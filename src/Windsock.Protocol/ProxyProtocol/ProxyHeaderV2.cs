using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Windsock.Protocol.ProxyProtocol;

/// <summary>
/// The binary header (proxy-protocol.txt section 2.2).
/// <code>
/// +----------------------------------------+---------+---------+--------+-----------+------+
/// | sig: 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A | ver|cmd | fam|prot |  len   | addresses | TLVs |
/// |                  12                      |    1    |    1    |   2    |        len       |
/// +----------------------------------------+---------+---------+--------+-----------+------+
/// addresses: AF_INET 4+4+2+2, AF_INET6 16+16+2+2, AF_UNIX 108+108; AF_UNSPEC none
/// TLV:       type (1) | length (2, network order) | value
/// </code>
/// </summary>
internal static class ProxyHeaderV2
{
    public const int FixedLength = 16;

    private const int SignatureLength = 12;
    private const byte Version = 0x2;
    private const byte FamilyUnspec = 0x0;
    private const byte FamilyInet = 0x1;
    private const byte FamilyInet6 = 0x2;
    private const byte FamilyUnix = 0x3;
    private const byte TransportDgram = 0x2;
    private const int Inet4AddressLength = (2 * 4) + (2 * 2);
    private const int Inet6AddressLength = (2 * 16) + (2 * 2);
    private const int UnixAddressLength = 2 * 108;
    private const int TlvHeaderLength = 3;
    private const int ChecksumLength = 4;

    private static ReadOnlySpan<byte> Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static ProxyHeader.Match MatchesSignature(ReadOnlySpan<byte> input) => ProxyHeader.Compare(input, Signature);

    /// <summary>Parses a header whose 12-byte signature is already known to be there.</summary>
    public static ParseResult TryParse(ReadOnlySpan<byte> input, out ProxyHeader header)
    {
        header = default;
        if (input.Length > SignatureLength && input[SignatureLength] >> 4 != Version)
        {
            return ParseResult.Fail(ProtocolError.InvalidProxyHeader);
        }

        if (input.Length < FixedLength)
        {
            return ParseResult.NeedMore;
        }

        var command = input[12] & 0x0F;
        if (command > (int)ProxyHeaderCommand.Proxy)
        {
            return ParseResult.Fail(ProtocolError.UnsupportedProxyCommand);
        }

        int family = input[13] >> 4;
        int transport = input[13] & 0x0F;
        if (family > FamilyUnix || transport > TransportDgram)
        {
            return ParseResult.Fail(ProtocolError.UnsupportedProxyFamily);
        }

        // The declared length is checked before any more bytes are awaited: a hostile 65535 holds nothing.
        int length = FixedLength + BinaryPrimitives.ReadUInt16BigEndian(input[14..]);
        if (length > ProxyHeader.MaxLength)
        {
            return ParseResult.Fail(ProtocolError.ProxyHeaderTooLong);
        }

        int addressLength = family switch
        {
            FamilyInet => Inet4AddressLength,
            FamilyInet6 => Inet6AddressLength,
            FamilyUnix => UnixAddressLength,
            _ => 0,
        };

        // A relayed client's addresses must be there whole. LOCAL ignores the family (section 2.2): its block is
        // skipped by the length alone, and TLVs are looked for only behind a block that fits.
        bool addressesFit = length - FixedLength >= addressLength;
        if (command == (int)ProxyHeaderCommand.Proxy && !addressesFit)
        {
            return ParseResult.Fail(ProtocolError.ProxyAddressesTruncated);
        }

        if (input.Length < length)
        {
            return ParseResult.NeedMore;
        }

        var whole = input[..length];
        var tlvs = ReadTlvs(whole, addressesFit ? FixedLength + addressLength : length, out string? uniqueId, out bool checksummed);
        if (tlvs != ProtocolError.None)
        {
            return ParseResult.Fail(tlvs);
        }

        IPEndPoint? source = null;
        IPEndPoint? destination = null;
        if (command == (int)ProxyHeaderCommand.Proxy && family is FamilyInet or FamilyInet6)
        {
            int size = family == FamilyInet ? 4 : 16;
            var addresses = whole[FixedLength..];
            source = new IPEndPoint(new IPAddress(addresses[..size]), BinaryPrimitives.ReadUInt16BigEndian(addresses[(2 * size)..]));
            destination = new IPEndPoint(new IPAddress(addresses.Slice(size, size)), BinaryPrimitives.ReadUInt16BigEndian(addresses[((2 * size) + 2)..]));
        }

        header = new ProxyHeader(2, (ProxyHeaderCommand)command, source, destination, uniqueId, checksummed);
        return ParseResult.Done(length);
    }

    /// <summary>Walks the TLVs from <paramref name="offset"/> to the end of the header: each must fit whole.</summary>
    private static ProtocolError ReadTlvs(ReadOnlySpan<byte> header, int offset, out string? uniqueId, out bool checksummed)
    {
        uniqueId = null;
        checksummed = false;
        int checksumAt = -1;
        while (offset < header.Length)
        {
            if (header.Length - offset < TlvHeaderLength)
            {
                return ProtocolError.InvalidProxyTlv;
            }

            byte type = header[offset];
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(header[(offset + 1)..]);
            int valueAt = offset + TlvHeaderLength;
            if (valueLength > header.Length - valueAt)
            {
                return ProtocolError.InvalidProxyTlv;
            }

            var value = header.Slice(valueAt, valueLength);
            switch (type)
            {
                case ProxyTlvType.Crc32C:
                    if (valueLength != ChecksumLength || checksumAt >= 0)
                    {
                        return ProtocolError.InvalidProxyTlv;
                    }

                    checksumAt = valueAt;
                    break;
                case ProxyTlvType.UniqueId:
                    if (valueLength > ProxyTlvType.MaxUniqueIdLength)
                    {
                        return ProtocolError.InvalidProxyTlv;
                    }

                    uniqueId = Printable(value);
                    break;
            }

            offset = valueAt + valueLength;
        }

        if (checksumAt >= 0)
        {
            if (Checksum(header, checksumAt) != BinaryPrimitives.ReadUInt32BigEndian(header[checksumAt..]))
            {
                return ProtocolError.ProxyChecksumMismatch;
            }

            checksummed = true;
        }

        return ProtocolError.None;
    }

    /// <summary>The CRC32c of the header with the 4 checksum bytes taken as zeros (section 2.2.3).</summary>
    internal static uint Checksum(ReadOnlySpan<byte> header, int checksumAt)
    {
        uint crc = Crc32C.Update(Crc32C.Start, header[..checksumAt]);
        crc = Crc32C.Update(crc, [0, 0, 0, 0]);
        crc = Crc32C.Update(crc, header[(checksumAt + ChecksumLength)..]);
        return Crc32C.Finish(crc);
    }

    /// <summary>An opaque id as text for a log line: itself when it is printable ASCII, its hex digits otherwise.</summary>
    private static string? Printable(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return null;
        }

        foreach (byte b in value)
        {
            if (b is < 0x21 or > 0x7E)
            {
                return Convert.ToHexStringLower(value);
            }
        }

        return Encoding.ASCII.GetString(value);
    }
}
