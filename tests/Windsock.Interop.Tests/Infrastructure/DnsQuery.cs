using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>Just enough DNS (RFC 1035) to ask for an A record and read the first answer.</summary>
public static class DnsQuery
{
    public static byte[] Build(string name, ushort id)
    {
        var bytes = new List<byte>();
        var header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        header[2] = 0x01; // RD
        header[5] = 1;    // QDCOUNT = 1
        bytes.AddRange(header);
        foreach (var label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.AddRange([0, 0, 1, 0, 1]); // root, QTYPE A, QCLASS IN
        return [.. bytes];
    }

    /// <summary>The first A record of a response, or null.</summary>
    public static IPAddress? FirstAddress(ReadOnlySpan<byte> response)
    {
        if (response.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(response[6..]) == 0)
        {
            return null;
        }
        var offset = 12;
        while (offset < response.Length && response[offset] != 0)
        {
            offset += response[offset] + 1;
        }
        offset += 1 + 4; // root label, QTYPE, QCLASS
        offset += (offset < response.Length && (response[offset] & 0xC0) == 0xC0) ? 2 : 0;
        if (offset + 10 > response.Length)
        {
            return null;
        }
        var type = BinaryPrimitives.ReadUInt16BigEndian(response[offset..]);
        var length = BinaryPrimitives.ReadUInt16BigEndian(response[(offset + 8)..]);
        offset += 10;
        return type == 1 && length == 4 && offset + 4 <= response.Length ? new IPAddress(response.Slice(offset, 4)) : null;
    }
}
