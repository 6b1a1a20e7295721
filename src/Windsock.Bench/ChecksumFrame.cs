using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Windsock.Bench;

/// <summary>
/// The soak's message on a TCP stream: a 4-byte length, the payload's SHA-256, the payload. The receiver
/// recomputes the hash and answers one verdict byte then the payload echoed back, so the sender checks the
/// hash of what returned as well: each payload is checked at both ends of the proxy.
/// </summary>
public static class ChecksumFrame
{
    public const int HeaderLength = 4 + 32;
    public const int MaxPayload = 64 * 1024 * 1024;
    public const byte Intact = 1;
    public const byte Corrupt = 0;

    /// <summary>Sends a random payload of <paramref name="length"/> bytes as a frame; returns its SHA-256.</summary>
    public static async ValueTask<byte[]> SendAsync(Socket socket, int length, CancellationToken cancellationToken)
    {
        byte[] frame = new byte[HeaderLength + length];
        Random.Shared.NextBytes(frame.AsSpan(HeaderLength));
        BinaryPrimitives.WriteInt32BigEndian(frame, length);
        byte[] hash = SHA256.HashData(frame.AsSpan(HeaderLength));
        hash.CopyTo(frame, 4);
        await SocketIo.SendAllAsync(socket, frame, cancellationToken).ConfigureAwait(false);
        return hash;
    }

    /// <summary>
    /// Reads a frame, checks its hash, answers the verdict and the payload echoed. Returns false when the
    /// payload did not match its hash (the sender learns it from the verdict too).
    /// </summary>
    public static async ValueTask<bool> ReceiveAndAnswerAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] header = new byte[HeaderLength];
        await SocketIo.ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false);
        int length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is < 0 or > MaxPayload)
        {
            throw new InvalidDataException($"a frame of {length} bytes: the stream is out of step");
        }

        byte[] answer = new byte[1 + length];
        await SocketIo.ReceiveExactlyAsync(socket, answer.AsMemory(1), cancellationToken).ConfigureAwait(false);
        bool intact = SHA256.HashData(answer.AsSpan(1)).AsSpan().SequenceEqual(header.AsSpan(4));
        answer[0] = intact ? Intact : Corrupt;
        await SocketIo.SendAllAsync(socket, answer, cancellationToken).ConfigureAwait(false);
        return intact;
    }

    /// <summary>A soak datagram: the payload's SHA-256, then the payload; true when they match.</summary>
    public static bool IsIntactDatagram(ReadOnlyMemory<byte> datagram) =>
        datagram.Length >= 32 && SHA256.HashData(datagram.Span[32..]).AsSpan().SequenceEqual(datagram.Span[..32]);

    /// <summary>Reads the receiver's answer to a frame of <paramref name="length"/> bytes: true when it saw the payload intact and the echo hashes to <paramref name="hash"/>.</summary>
    public static async ValueTask<(bool ReceiverSawIntact, bool EchoIntact)> ReadAnswerAsync(Socket socket, int length, byte[] hash, CancellationToken cancellationToken)
    {
        byte[] answer = new byte[1 + length];
        await SocketIo.ReceiveExactlyAsync(socket, answer, cancellationToken).ConfigureAwait(false);
        return (answer[0] == Intact, SHA256.HashData(answer.AsSpan(1)).AsSpan().SequenceEqual(hash));
    }
}
