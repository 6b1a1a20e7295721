using System.Buffers.Binary;
using Windsock.Server.Probes;

namespace Windsock.Fuzz;

/// <summary>
/// ICMP from the network, as the ping and traceroute probes read it (<see cref="IcmpEcho"/>): the input is one
/// ICMP message (an echo reply from a datagram, or the quoted start of our echo request from an ICMP error),
/// read as ICMPv4 and as ICMPv6. Rules: nothing throws; a reply and a quoted request are told apart by the
/// type byte alone, never both; what was read is the message's own identifier and sequence (zero when nothing
/// was); the Internet checksum, filled in, verifies. And an echo request written with the input's identifier,
/// sequence and data length reads back as exactly that request, never as a reply.
/// </summary>
public static class IcmpEchoTarget
{
    /// <summary>The data of a request the target writes: ping's default 56 bytes is well inside.</summary>
    private const int MaxDataLength = 256;

    public static void Run(ReadOnlyMemory<byte> input)
    {
        var message = input.Span;
        foreach (bool ipv6 in (bool[])[false, true])
        {
            bool reply = IcmpEcho.TryReadReply(message, ipv6, out ushort replyId, out ushort replySeq);
            bool quoted = IcmpEcho.TryReadQuotedRequest(message, ipv6, out ushort quotedId, out ushort quotedSeq);
            FuzzFailure.Unless(!(reply && quoted), "one message read as a reply and as a request");
            FuzzFailure.Unless(reply == (message.Length >= IcmpEcho.HeaderLength && message[0] == (ipv6 ? 129 : 0)), $"type {(message.IsEmpty ? -1 : message[0])} of {message.Length} bytes read as a reply: {reply}");
            FuzzFailure.Unless(quoted == (message.Length >= IcmpEcho.HeaderLength && message[0] == (ipv6 ? 128 : 8)), $"type {(message.IsEmpty ? -1 : message[0])} of {message.Length} bytes read as a request: {quoted}");
            FuzzFailure.Unless(reply ? (replyId, replySeq) == Fields(message) : (replyId, replySeq) == (0, 0), "a reply's identifier or sequence is not its own");
            FuzzFailure.Unless(quoted ? (quotedId, quotedSeq) == Fields(message) : (quotedId, quotedSeq) == (0, 0), "a quoted request's identifier or sequence is not its own");
        }

        if (message.Length >= 4)
        {
            byte[] filled = message.ToArray();
            BinaryPrimitives.WriteUInt16BigEndian(filled.AsSpan(2), 0);
            BinaryPrimitives.WriteUInt16BigEndian(filled.AsSpan(2), IcmpEcho.Checksum(filled));
            FuzzFailure.Unless(IcmpEcho.Checksum(filled) == 0, "a message with its checksum filled in does not verify");
        }

        if (message.Length >= 5)
        {
            var (identifier, sequence) = (BinaryPrimitives.ReadUInt16BigEndian(message), BinaryPrimitives.ReadUInt16BigEndian(message[2..]));
            int dataLength = message[4] % (MaxDataLength + 1);
            foreach (bool ipv6 in (bool[])[false, true])
            {
                byte[] request = new byte[IcmpEcho.HeaderLength + MaxDataLength];
                int length = IcmpEcho.WriteRequest(request, ipv6, identifier, sequence, dataLength);
                var written = request.AsSpan(0, length);
                FuzzFailure.Unless(length == IcmpEcho.HeaderLength + dataLength, $"a request with {dataLength} bytes of data is {length} bytes");
                FuzzFailure.Unless(IcmpEcho.TryReadQuotedRequest(written, ipv6, out ushort id, out ushort seq) && (id, seq) == (identifier, sequence), "our own request does not read back as itself");
                FuzzFailure.Unless(!IcmpEcho.TryReadReply(written, ipv6, out _, out _), "our own request reads as a reply");
                FuzzFailure.Unless(ipv6 || IcmpEcho.Checksum(written) == 0, "an ICMPv4 request whose checksum does not verify");
            }
        }
    }

    private static (ushort Identifier, ushort Sequence) Fields(ReadOnlySpan<byte> message) =>
        (BinaryPrimitives.ReadUInt16BigEndian(message[4..]), BinaryPrimitives.ReadUInt16BigEndian(message[6..]));
}
