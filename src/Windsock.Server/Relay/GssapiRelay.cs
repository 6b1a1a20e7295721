using System.Buffers;
using System.Net.Sockets;
using Windsock.Protocol.Gssapi;
using Windsock.Server.Gssapi;
using Windsock.Server.Sessions;

namespace Windsock.Server.Relay;

/// <summary>
/// The relay of GSSAPI sessions granted integrity, confidentiality or selective (RFC 1961 section 5): every
/// message from the client is an encapsulated frame, unwrapped and its content written to the destination;
/// whatever the destination sends is cut into chunks that fit one token after wrapping, wrapped, framed and
/// sent. A separate path from <see cref="TcpRelay"/> so that plain sessions stay a pure copy.
/// <list type="bullet">
/// <item>Like TcpRelay: buffers are rented only while data flows, half-close is passed on, an idle timeout,
/// byte counters (plaintext bytes, the same measure as plain sessions).</item>
/// <item>A frame that does not unwrap (altered, replayed, not encrypted at confidentiality), an abort
/// (MTYP 0xFF), anything but MTYP 3, or a FIN in the middle of a frame ends the session at once: nothing of
/// that message reaches the destination. <see cref="Failure"/> says which.</item>
/// </list>
/// </summary>
internal sealed class GssapiRelay
{
    private const int MaxFrameLength = GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength;

    private readonly Socket _client;
    private readonly Socket _destination;
    private readonly SessionRecord _record;
    private readonly GssapiSecurity _security;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _time;
    private long _lastActivity;
    private int _firstError; // 0 none, 1 client, 2 destination, 3 protection
    private string? _failure;

    internal GssapiRelay(Socket client, Socket destination, SessionRecord record, GssapiSecurity security, TimeSpan idleTimeout, TimeProvider time)
    {
        _client = client;
        _destination = destination;
        _record = record;
        _security = security;
        _idleTimeout = idleTimeout;
        _time = time;
    }

    /// <summary>With <see cref="RelayEnd.ProtectionFailed"/>: why the client's message was refused ("gssapi: tampered message: MessageAltered").</summary>
    public string? Failure => Volatile.Read(ref _failure);

    public async Task<RelayEnd> RunAsync(CancellationToken shutdown)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        bool idleExpired = false;
        _lastActivity = _time.GetTimestamp();

        await using var idleTimer = _time.CreateTimer(
            _ =>
            {
                if (_time.GetElapsedTime(Volatile.Read(ref _lastActivity)) >= _idleTimeout)
                {
                    idleExpired = true;
                    stop.Cancel();
                }
            },
            null,
            _idleTimeout,
            _idleTimeout <= TimeSpan.FromSeconds(4) ? _idleTimeout / 4 : TimeSpan.FromSeconds(Math.Min(_idleTimeout.TotalSeconds / 4, 30))).ConfigureAwait(false);

        var up = UnwrapPumpAsync(stop);
        var down = WrapPumpAsync(stop);
        await Task.WhenAll(up, down).ConfigureAwait(false);

        int error = Volatile.Read(ref _firstError);
        if (error == 3)
        {
            return RelayEnd.ProtectionFailed;
        }

        if (idleExpired)
        {
            return RelayEnd.IdleTimeout;
        }

        if (shutdown.IsCancellationRequested)
        {
            return RelayEnd.Shutdown;
        }

        return error switch
        {
            1 => RelayEnd.ClientError,
            2 => RelayEnd.DestinationError,
            _ => RelayEnd.Closed,
        };
    }

    /// <summary>Client to destination: frames in, plaintext out.</summary>
    private async Task UnwrapPumpAsync(CancellationTokenSource stop)
    {
        var token = stop.Token;
        byte[]? raw = null;
        int filled = 0;
        using var plain = new GssapiFrameBuffer();
        long moved = 0;
        try
        {
            var pending = _security.PendingInput;
            if (!pending.IsEmpty)
            {
                raw = ArrayPool<byte>.Shared.Rent(Math.Max(MaxFrameLength, pending.Length));
                pending.Span.CopyTo(raw);
                filled = pending.Length;
                _security.ClearPendingInput();
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
                        Refuse($"gssapi: bad encapsulated message: {result.Error}", stop);
                        return;
                    }

                    if (!result.IsDone)
                    {
                        break;
                    }

                    if (message.Type == GssapiMessageType.Abort)
                    {
                        Refuse("gssapi: client aborted (MTYP 0xFF)", stop);
                        return;
                    }

                    if (message.Type != GssapiMessageType.Encapsulated)
                    {
                        Refuse($"gssapi: expected an encapsulated message (MTYP 3), got MTYP {(byte)message.Type}", stop);
                        return;
                    }

                    if (_security.Unwrap(message.TokenIn(raw.AsSpan(offset, result.Consumed)), plain) is { } refusal)
                    {
                        Refuse(refusal, stop);
                        return;
                    }

                    offset += result.Consumed;
                    Volatile.Write(ref _lastActivity, _time.GetTimestamp());
                    if (!plain.Written.IsEmpty)
                    {
                        try
                        {
                            await _destination.SendAsync(plain.Written, SocketFlags.None, token).ConfigureAwait(false);
                        }
                        catch (SocketException)
                        {
                            Fail(2, stop);
                            return;
                        }

                        moved += plain.Written.Length;
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
                    if (raw is not null)
                    {
                        ArrayPool<byte>.Shared.Return(raw);
                        raw = null;
                    }

                    plain.Release();
                    await _client.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
                    raw = ArrayPool<byte>.Shared.Rent(MaxFrameLength);
                }

                int read;
                try
                {
                    read = await _client.ReceiveAsync(raw.AsMemory(filled), SocketFlags.None, token).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    Fail(1, stop);
                    return;
                }

                if (read == 0)
                {
                    if (filled > 0)
                    {
                        Refuse($"gssapi: client closed in the middle of an encapsulated message ({filled} bytes of it received)", stop);
                        return;
                    }

                    try
                    {
                        _destination.Shutdown(SocketShutdown.Send);
                    }
                    catch (SocketException)
                    {
                    }

                    return;
                }

                filled += read;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
            Fail(1, stop);
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (raw is not null)
            {
                ArrayPool<byte>.Shared.Return(raw);
            }

            _record.AddBytesUp(moved);
        }
    }

    /// <summary>Destination to client: plaintext in, one wrapped frame per chunk out.</summary>
    private async Task WrapPumpAsync(CancellationTokenSource stop)
    {
        var token = stop.Token;
        byte[]? buffer = null;
        using var frame = new GssapiFrameBuffer();
        long moved = 0;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    await _destination.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(GssapiSecurity.MaxPlaintextPerMessage);
                }

                int read;
                try
                {
                    read = await _destination.ReceiveAsync(buffer.AsMemory(0, GssapiSecurity.MaxPlaintextPerMessage), SocketFlags.None, token).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    Fail(2, stop);
                    return;
                }

                if (read == 0)
                {
                    try
                    {
                        _client.Shutdown(SocketShutdown.Send);
                    }
                    catch (SocketException)
                    {
                    }

                    return;
                }

                Volatile.Write(ref _lastActivity, _time.GetTimestamp());
                _security.WrapFrame(buffer.AsSpan(0, read), frame);
                try
                {
                    await _client.SendAsync(frame.Written, SocketFlags.None, token).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    Fail(1, stop);
                    return;
                }

                moved += read;
                if (_destination.Available == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                    frame.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
            Fail(2, stop);
        }
        catch (ObjectDisposedException)
        {
        }
        catch (GssapiFailureException e)
        {
            Refuse(e.Message, stop);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            _record.AddBytesDown(moved);
        }
    }

    private void Refuse(string reason, CancellationTokenSource stop)
    {
        Interlocked.CompareExchange(ref _failure, reason, null);
        Fail(3, stop);
    }

    private void Fail(int side, CancellationTokenSource stop)
    {
        Interlocked.CompareExchange(ref _firstError, side, 0);
        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
