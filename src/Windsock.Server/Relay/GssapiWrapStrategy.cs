using System.Buffers;
using System.Net.Sockets;
using System.Security.Cryptography;
using Windsock.Protocol.Gssapi;
using Windsock.Server.Gssapi;
using Windsock.Server.Limits;

namespace Windsock.Server.Relay;

/// <summary>
/// The relay of GSSAPI sessions granted integrity, confidentiality or selective (RFC 1961 section 5): every
/// message from the client is an encapsulated frame, unwrapped and its content written to the destination;
/// whatever the destination sends is cut into chunks that fit one token after wrapping, wrapped, framed and
/// sent. A strategy of its own so that plain sessions stay a pure copy.
/// <list type="bullet">
/// <item>Buffers are rented only while data flows, and cleared before they go back to the pool: they held
/// plaintext (or integrity-only tokens, which carry it).</item>
/// <item>Byte counts are plaintext bytes, the same measure as plain sessions.</item>
/// <item>A frame that does not unwrap (altered, replayed, not encrypted at confidentiality), an abort
/// (MTYP 0xFF), anything but MTYP 3, or a FIN in the middle of a frame refuses the session at once
/// (<see cref="TcpRelay.Refuse"/>): nothing of that message reaches the destination.</item>
/// </list>
/// A session with a bandwidth limit is paced on plaintext bytes, as the copy loop paces a plain one
/// (<see cref="RelayPacing"/>): each direction waits after a message until its buckets are back in credit, and
/// the wrapping direction reads at most the pacer's chunk per message.
/// One instance per session: it holds the session's security context.
/// </summary>
internal sealed class GssapiWrapStrategy(GssapiSecurity security, SessionLimits? limits = null) : RelayStrategy
{
    private const int MaxFrameLength = GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength;

    public override string Name => "gssapi";

    public override Task PumpAsync(TcpRelay relay, RelayDirection direction) =>
        direction.Upstream ? UnwrapPumpAsync(relay, direction) : WrapPumpAsync(relay, direction);

    /// <summary>Client to destination: frames in, plaintext out.</summary>
    private async Task UnwrapPumpAsync(TcpRelay relay, RelayDirection direction)
    {
        var client = direction.From;
        var destination = direction.To;
        var shutdown = relay.Shutdown;
        byte[]? raw = null;
        int filled = 0;
        int rawUsed = 0; // how far into raw any frame reached: what to clear
        using var plain = new GssapiFrameBuffer();
        try
        {
            var pending = security.PendingInput;
            if (!pending.IsEmpty)
            {
                raw = ArrayPool<byte>.Shared.Rent(Math.Max(MaxFrameLength, pending.Length));
                pending.Span.CopyTo(raw);
                filled = pending.Length;
                rawUsed = filled;
                security.ClearPendingInput();
            }

            while (true)
            {
                // Every whole frame buffered goes out before the next read.
                int offset = 0;
                while (true)
                {
                    var result = GssapiMessage.TryParse(raw.AsSpan(offset, filled - offset), out var message);
                    if (result.IsError)
                    {
                        relay.Refuse($"gssapi: bad encapsulated message: {result.Error}");
                        return;
                    }

                    if (!result.IsDone)
                    {
                        break;
                    }

                    if (message.Type == GssapiMessageType.Abort)
                    {
                        relay.Refuse("gssapi: client aborted (MTYP 0xFF)");
                        return;
                    }

                    if (message.Type != GssapiMessageType.Encapsulated)
                    {
                        relay.Refuse($"gssapi: expected an encapsulated message (MTYP 3), got MTYP {(byte)message.Type}");
                        return;
                    }

                    if (security.Unwrap(message.TokenIn(raw.AsSpan(offset, result.Consumed)), plain) is { } refusal)
                    {
                        relay.Refuse(refusal);
                        return;
                    }

                    offset += result.Consumed;
                    relay.Touch();
                    if (!plain.Written.IsEmpty)
                    {
                        try
                        {
                            await destination.SendAsync(plain.Written, SocketFlags.None, shutdown).ConfigureAwait(false);
                        }
                        catch (SocketException)
                        {
                            relay.Fail(direction.ToSide);
                            return;
                        }

                        relay.CountMoved(direction, plain.Written.Length);
                        if (!await RelayPacing.AfterMovedAsync(relay, limits?.Up, plain.Written.Length).ConfigureAwait(false))
                        {
                            return;
                        }
                    }
                }

                if (offset > 0)
                {
                    raw.AsSpan(offset, filled - offset).CopyTo(raw);
                    filled -= offset;
                }

                if (filled == 0)
                {
                    // Nothing partial held: give the buffers back and wait for the next frame without them.
                    ReturnCleared(ref raw, rawUsed);
                    rawUsed = 0;
                    plain.Release();
                    await client.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, shutdown).ConfigureAwait(false);
                    if (relay.Stopped)
                    {
                        return;
                    }

                    raw = ArrayPool<byte>.Shared.Rent(MaxFrameLength);
                }

                int read;
                try
                {
                    read = await client.ReceiveAsync(raw.AsMemory(filled), SocketFlags.None, shutdown).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    relay.Fail(direction.FromSide);
                    return;
                }

                if (relay.Stopped)
                {
                    return;
                }

                if (read == 0)
                {
                    if (filled > 0)
                    {
                        relay.Refuse($"gssapi: client closed in the middle of an encapsulated message ({filled} bytes of it received)");
                        return;
                    }

                    TcpRelay.PassOnFin(destination);
                    return;
                }

                filled += read;
                rawUsed = Math.Max(rawUsed, filled);
            }
        }
        finally
        {
            ReturnCleared(ref raw, rawUsed);
        }
    }

    /// <summary>Destination to client: plaintext in, one wrapped frame per chunk out.</summary>
    private async Task WrapPumpAsync(TcpRelay relay, RelayDirection direction)
    {
        var destination = direction.From;
        var client = direction.To;
        var shutdown = relay.Shutdown;
        byte[]? buffer = null;
        int used = 0;
        int readSize = RelayPacing.ReadSize(limits?.Down, GssapiSecurity.MaxPlaintextPerMessage);
        using var frame = new GssapiFrameBuffer();
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    await destination.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, shutdown).ConfigureAwait(false);
                    if (relay.Stopped)
                    {
                        return;
                    }

                    buffer = ArrayPool<byte>.Shared.Rent(GssapiSecurity.MaxPlaintextPerMessage);
                    used = 0;
                }

                int read;
                try
                {
                    read = await destination.ReceiveAsync(buffer.AsMemory(0, readSize), SocketFlags.None, shutdown).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    relay.Fail(direction.FromSide);
                    return;
                }

                if (relay.Stopped)
                {
                    return;
                }

                if (read == 0)
                {
                    TcpRelay.PassOnFin(client);
                    return;
                }

                used = Math.Max(used, read);
                relay.Touch();
                try
                {
                    security.WrapFrame(buffer.AsSpan(0, read), frame);
                }
                catch (GssapiFailureException e)
                {
                    relay.Refuse(e.Message);
                    return;
                }

                try
                {
                    await client.SendAsync(frame.Written, SocketFlags.None, shutdown).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    relay.Fail(direction.ToSide);
                    return;
                }

                relay.CountMoved(direction, read);
                if (!await RelayPacing.AfterMovedAsync(relay, limits?.Down, read).ConfigureAwait(false))
                {
                    return;
                }

                if (destination.Available == 0)
                {
                    ReturnCleared(ref buffer, used);
                    frame.Release();
                }
            }
        }
        finally
        {
            ReturnCleared(ref buffer, used);
        }
    }

    /// <summary>Clears the first <paramref name="used"/> bytes (plaintext, or tokens that carry it) and returns the buffer.</summary>
    private static void ReturnCleared(ref byte[]? buffer, int used)
    {
        if (buffer is { } held)
        {
            buffer = null;
            CryptographicOperations.ZeroMemory(held.AsSpan(0, Math.Min(used, held.Length)));
            ArrayPool<byte>.Shared.Return(held);
        }
    }
}
