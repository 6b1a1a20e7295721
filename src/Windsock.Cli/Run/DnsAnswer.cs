using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Windsock.Cli.Run;

/// <summary>
/// The DNS answers of the syscall engine (RFC 1035 messages, no I/O): a query for A or AAAA gets the
/// name's mapped address, so the program connects to an address windsock maps back to the name, and
/// the proxy gets the name. PTR of a mapped address gets the name back; localhost names get loopback;
/// other types get an empty NOERROR answer. Nothing is ever asked of a real resolver.
/// </summary>
internal static class DnsAnswer
{
    private const ushort TypeA = 1;
    private const ushort TypePtr = 12;
    private const ushort TypeAaaa = 28;
    private const ushort ClassInternet = 1;
    private const int HeaderLength = 12;

    /// <summary>Short: the mapping lives only as long as this windsock run.</summary>
    private const uint TimeToLive = 5;

    /// <summary>The response to <paramref name="query"/>, or null for what is not a query (dropped, as a server would).</summary>
    public static byte[]? Respond(ReadOnlySpan<byte> query, MappedAddresses mapped, out string? explanation)
    {
        explanation = null;

        // +--+--+--+--+--+--+--+--+--+--+--+--+   ID, flags (QR=0 for a query, opcode 0), QDCOUNT=1
        if (query.Length < HeaderLength || (query[2] & 0x80) != 0 || (query[2] & 0x78) != 0 || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1)
        {
            return null;
        }

        int at = HeaderLength;
        var labels = new List<string>();
        while (true)
        {
            if (at >= query.Length)
            {
                return null;
            }

            int length = query[at++];
            if (length == 0)
            {
                break;
            }

            if (length > 63 || at + length > query.Length)
            {
                return null;
            }

            labels.Add(Encoding.ASCII.GetString(query.Slice(at, length)));
            at += length;
        }

        if (at + 4 > query.Length)
        {
            return null;
        }

        ushort type = BinaryPrimitives.ReadUInt16BigEndian(query[at..]);
        ushort @class = BinaryPrimitives.ReadUInt16BigEndian(query[(at + 2)..]);
        int questionEnd = at + 4;
        string name = string.Join('.', labels);

        byte[]? data = @class == ClassInternet ? AnswerData(type, name, mapped, out explanation) : null;
        var response = new byte[questionEnd + (data is null ? 0 : 12 + data.Length)];
        query[..questionEnd].CopyTo(response);

        // QR=1, opcode 0, AA=0, RD as asked, RA=1, RCODE 0; one question, the answers, no other sections.
        response[2] = (byte)(0x80 | (query[2] & 0x01));
        response[3] = 0x80;
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(6), (ushort)(data is null ? 0 : 1));
        BinaryPrimitives.WriteUInt32BigEndian(response.AsSpan(8), 0);
        if (data is not null)
        {
            Span<byte> answer = response.AsSpan(questionEnd);
            BinaryPrimitives.WriteUInt16BigEndian(answer, 0xC000 | HeaderLength); // the name: a pointer to the question's
            BinaryPrimitives.WriteUInt16BigEndian(answer[2..], type);
            BinaryPrimitives.WriteUInt16BigEndian(answer[4..], ClassInternet);
            BinaryPrimitives.WriteUInt32BigEndian(answer[6..], TimeToLive);
            BinaryPrimitives.WriteUInt16BigEndian(answer[10..], (ushort)data.Length);
            data.CopyTo(answer[12..]);
        }

        return response;
    }

    private static byte[]? AnswerData(ushort type, string name, MappedAddresses mapped, out string? explanation)
    {
        explanation = null;
        bool localhost = name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
        switch (type)
        {
            case TypeA or TypeAaaa when localhost:
                return (type == TypeA ? IPAddress.Loopback : IPAddress.IPv6Loopback).GetAddressBytes();
            case TypeA or TypeAaaa when name.Length > 0 && mapped.TryMap(name, out IPAddress ipv4, out IPAddress ipv6):
                IPAddress address = type == TypeA ? ipv4 : ipv6;
                explanation = $"DNS query {(type == TypeA ? "A" : "AAAA")} {name}: mapped to {address}";
                return address.GetAddressBytes();
            case TypePtr when ReverseAddress(name) is { } reversed && mapped.TryGetName(reversed, out string? original):
                explanation = $"DNS query PTR {reversed}: {original}";
                return EncodeName(original);
            default:
                return null;
        }
    }

    /// <summary>"4.3.2.1.in-addr.arpa" → 1.2.3.4; the ip6.arpa nibble form → the IPv6 address.</summary>
    private static IPAddress? ReverseAddress(string name)
    {
        const string V4 = ".in-addr.arpa";
        const string V6 = ".ip6.arpa";
        if (name.EndsWith(V4, StringComparison.OrdinalIgnoreCase))
        {
            string[] parts = name[..^V4.Length].Split('.');
            return parts.Length == 4 && IPAddress.TryParse(string.Join('.', parts.Reverse()), out IPAddress? four) && four.AddressFamily == AddressFamily.InterNetwork ? four : null;
        }

        if (name.EndsWith(V6, StringComparison.OrdinalIgnoreCase))
        {
            string[] nibbles = name[..^V6.Length].Split('.');
            if (nibbles.Length != 32 || nibbles.Any(n => n.Length != 1 || !Uri.IsHexDigit(n[0])))
            {
                return null;
            }

            byte[] bytes = Convert.FromHexString(string.Concat(nibbles.Reverse()));
            return new IPAddress(bytes);
        }

        return null;
    }

    private static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (string label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            byte[] text = Encoding.ASCII.GetBytes(label);
            bytes.Add((byte)Math.Min(text.Length, 63));
            bytes.AddRange(text.Take(63));
        }

        bytes.Add(0);
        return [.. bytes];
    }
}
