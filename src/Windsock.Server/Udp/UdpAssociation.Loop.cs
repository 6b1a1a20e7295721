using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Windsock.Protocol.Socks5;
using Windsock.Server.Logging;
using Windsock.Server.Loops;

namespace Windsock.Server.Udp;

/// <summary>
/// The association on the <see cref="DatagramLoop"/> (Linux): its relay sockets are read on the loop's thread, and a
/// datagram whose handling cannot wait on anything (an address destination, its verdict kept or decided from the
/// rules in memory; a peer's answer; a drop) is handled and sent on right there, with non-blocking calls.
/// <para>
/// Everything else is handed to the async path, one datagram at a time: a destination name (resolved through
/// <see cref="UdpNameCache"/>), a malformed header or a fragment (the full parse says what is wrong), any datagram
/// while debug logging is on (a logger may wait), and a send the socket's buffer has no room for. (A GSSAPI-protected
/// association is never on the loop: every datagram of it would be handed off.) While a hand-off runs the association's sockets are paused
/// on the loop, so datagrams stay in order and the state is never touched by two threads at once: the loop's thread
/// touches it only while nothing is handed off, the hand-off only while the loop is paused.
/// </para>
/// </summary>
internal sealed partial class UdpAssociation
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<string?> _loopEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LoopSocket[] _loopSockets = [];
    private LoopState _loopState;
    private Task? _handoff;
    private CancellationToken _loopToken;

    // True once the sockets are on the loop: sends then try a non-blocking sendto first, from either path.
    private bool _onLoop;

    private enum LoopState
    {
        Running,
        Paused,
        Closed,
    }

    private enum HandoffKind
    {
        Datagram,
        SendUp,
        SendDown,
        Error,
    }

    /// <summary>Runs the association with its sockets on the loop; null when the loop refused a socket (nothing was read then).</summary>
    private async Task<string?> RunOnLoopAsync(CancellationToken shutdown)
    {
        using var end = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        _loopToken = end.Token;
        Socket[] sockets = [_clientSide, .. _outside.All];
        lock (_gate)
        {
            // Under the gate: a datagram reported before every socket is in waits for the answer.
            _onLoop = true;
            var registered = new LoopSocket[sockets.Length];
            for (int i = 0; i < sockets.Length; i++)
            {
                registered[i] = new LoopSocket(this, sockets[i]);
                registered[i].Id = DatagramLoop.Register(sockets[i], registered[i]);
                if (registered[i].Id == 0)
                {
                    _loopSockets = registered[..i];
                    CloseLoop();
                    _onLoop = false;
                    return null;
                }
            }

            _loopSockets = registered;
        }

        Task<string?>[] waits = [_loopEnded.Task, WatchControlAsync(end.Token), WatchIdleAsync(end.Token)];
        var first = await Task.WhenAny(waits).ConfigureAwait(false);
        await end.CancelAsync().ConfigureAwait(false);
        Task? handoff;
        lock (_gate)
        {
            CloseLoop();
            handoff = _handoff;
        }

        _loopEnded.TrySetResult(null);
        try
        {
            await Task.WhenAll(waits).ConfigureAwait(false);
            if (handoff is not null)
            {
                await handoff.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The others observed the end; their outcome does not matter.
        }

        return shutdown.IsCancellationRequested ? "server shutdown" : (first.IsCompletedSuccessfully ? first.Result : null) ?? "ended";
    }

    /// <summary>Takes the sockets off the loop; under <see cref="_gate"/>, before they are closed. Idempotent.</summary>
    private void CloseLoop()
    {
        if (_loopState == LoopState.Closed)
        {
            return;
        }

        _loopState = LoopState.Closed;
        foreach (var socket in _loopSockets)
        {
            DatagramLoop.Unregister(socket.Socket, socket.Id);
        }
    }

    /// <summary>On the loop's thread: one datagram from <paramref name="socket"/>, handled here or handed off.</summary>
    private void OnReadable(LoopSocket socket, byte[] buffer)
    {
        lock (_gate)
        {
            if (_loopState != LoopState.Running)
            {
                return; // a report taken from the set before the pause or the end: the datagram waits in the socket
            }

            int received = LinuxDatagrams.ReceiveFrom(socket.Handle, buffer.AsSpan(HeaderRoom, MaxDatagram), socket.From, out var error);
            if (received < 0)
            {
                if (error == SocketError.WouldBlock)
                {
                    return;
                }

                // As on the async path: an error reported on a receive is not the end, an endless run of them is.
                if (++socket.Errors >= MaxConsecutiveErrors)
                {
                    CloseLoop();
                    _loopEnded.TrySetResult($"relay socket failed: {error}");
                }
                else if (LogsDrops)
                {
                    HandOff(new Handoff(HandoffKind.Error, null, 0, 0, error, socket.Socket, null, null, default));
                }

                return;
            }

            socket.Errors = 0;
            if (!LogsDrops && TryHandleOnLoop(buffer, received, socket.From, socket.Socket))
            {
                DatagramLoop.CountHandled();
                return;
            }

            var copy = ArrayPool<byte>.Shared.Rent(HeaderRoom + MaxDatagram);
            buffer.AsSpan(HeaderRoom, received).CopyTo(copy.AsSpan(HeaderRoom));
            var from = new SocketAddress(socket.From.Family, socket.From.Size);
            socket.From.Buffer.CopyTo(from.Buffer);
            DatagramLoop.CountHandedOff();
            HandOff(new Handoff(HandoffKind.Datagram, copy, 0, received, SocketError.Success, socket.Socket, from, null, default));
        }
    }

    /// <summary>
    /// Handles a datagram that needs no wait: false, having changed nothing, for one that does (from the client:
    /// anything but an unfragmented datagram to an address).
    /// </summary>
    private bool TryHandleOnLoop(byte[] buffer, int length, SocketAddress from, Socket arrivedOn)
    {
        var source = UdpEndpointKey.From(from);
        var requested = default(UdpEndpointKey);
        int headerLength = 0;
        if (arrivedOn == _clientSide && IsClient(source))
        {
            if (!Socks5UdpHeader.TryReadAddressLiteral(buffer.AsSpan(HeaderRoom, length), out byte fragment, out var address, out ushort port, out headerLength) || fragment != 0)
            {
                return false;
            }

            requested = UdpEndpointKey.FromBytes(address, port);
        }

        switch (Classify(source, arrivedOn))
        {
            case Sender.Client:
                LearnClient(from, source);
                Touch();
                if (ChooseAddressDestination(requested, source) is { } destination)
                {
                    var payload = buffer.AsSpan((HeaderRoom + headerLength)..(HeaderRoom + length));
                    var outside = _outside.For(destination.EndPoint.Address);
                    if (TrySendNow(outside, payload, destination.Target, destination.EndPoint, source) == SocketError.WouldBlock)
                    {
                        HandOffSend(HandoffKind.SendUp, payload, payload.Length, destination.Target, destination.EndPoint, source);
                    }
                }

                break;
            case Sender.Peer:
                var reply = buffer.AsSpan(WriteReplyHeader(buffer, length, source));
                if (TrySendToClientNow(reply, length, source) == SocketError.WouldBlock)
                {
                    HandOffSend(HandoffKind.SendDown, reply, length, null, null, source);
                }

                break;
        }

        return true;
    }

    /// <summary>A non-blocking send towards a destination, counted or dropped; WouldBlock (nothing counted) when the socket's buffer is full.</summary>
    private SocketError TrySendNow(Socket outside, ReadOnlySpan<byte> payload, SocketAddress target, IPEndPoint destination, UdpEndpointKey source)
    {
        var result = LinuxDatagrams.SendTo(outside.SafeHandle, payload, target);
        if (result == SocketError.Success)
        {
            CountUp(payload.Length);
        }
        else if (result != SocketError.WouldBlock)
        {
            Drop(UdpDropReason.SendFailed, source, $"to {destination}: {result}");
        }

        return result;
    }

    /// <summary>A non-blocking send of a reply to the client, counted or dropped; WouldBlock (nothing counted) when the socket's buffer is full.</summary>
    private SocketError TrySendToClientNow(ReadOnlySpan<byte> datagram, int length, UdpEndpointKey sender)
    {
        var result = LinuxDatagrams.SendTo(_clientSide.SafeHandle, datagram, _clientSocketAddress!);
        if (result == SocketError.Success)
        {
            CountDown(length);
        }
        else if (result != SocketError.WouldBlock)
        {
            Drop(UdpDropReason.SendFailed, sender, $"to the client {_client}: {result}");
        }

        return result;
    }

    private void HandOffSend(HandoffKind kind, ReadOnlySpan<byte> datagram, int counted, SocketAddress? target, IPEndPoint? destination, UdpEndpointKey source)
    {
        var copy = ArrayPool<byte>.Shared.Rent(datagram.Length);
        datagram.CopyTo(copy);
        HandOff(new Handoff(kind, copy, datagram.Length, counted, SocketError.Success, null!, target, destination, source));
    }

    /// <summary>Pauses the association's sockets on the loop and runs <paramref name="work"/> on the async path; under <see cref="_gate"/>.</summary>
    private void HandOff(Handoff work)
    {
        _loopState = LoopState.Paused;
        foreach (var socket in _loopSockets)
        {
            _ = DatagramLoop.Watch(socket.Socket, socket.Id, watch: false);
        }

        _handoff = Task.Run(() => RunHandoffAsync(work));
    }

    private async Task RunHandoffAsync(Handoff work)
    {
        var token = _loopToken;
        try
        {
            switch (work.Kind)
            {
                case HandoffKind.Datagram:
                    token.ThrowIfCancellationRequested();
                    await HandleAsync(work.Buffer!, work.Counted, work.From!, work.Socket, token).ConfigureAwait(false);
                    break;
                case HandoffKind.SendUp:
                    await SendOnAsync(work.Buffer.AsMemory(0, work.Length), work.From, work.Destination!, work.Source, token).ConfigureAwait(false);
                    break;
                case HandoffKind.SendDown:
                    await SendToClientAsync(work.Buffer.AsMemory(0, work.Length), work.Counted, work.Source, token).ConfigureAwait(false);
                    break;
                case HandoffKind.Error:
                    UdpLog.RelayError(_context.Logger, _record.Id, work.Error.ToString());
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            // The association is ending.
        }
        catch (Exception e)
        {
            // As an exception out of an async receive loop would: the association ends with it.
            lock (_gate)
            {
                CloseLoop();
            }

            _loopEnded.TrySetException(e);
            return;
        }
        finally
        {
            if (work.Buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(work.Buffer);
            }

            _message?.Release(); // an idle association holds no wrap buffer
        }

        lock (_gate)
        {
            if (_loopState == LoopState.Paused)
            {
                _loopState = LoopState.Running;
                foreach (var socket in _loopSockets)
                {
                    _ = DatagramLoop.Watch(socket.Socket, socket.Id, watch: true);
                }
            }
        }
    }

    /// <summary>The loop threw out of <see cref="OnReadable"/> (a bug): this association ends with the exception, the loop goes on.</summary>
    private void FailOnLoop(Exception error)
    {
        lock (_gate)
        {
            CloseLoop();
        }

        _loopEnded.TrySetException(error);
    }

    /// <summary>
    /// One piece of work for the async path. Datagram: <see cref="Counted"/> bytes at <see cref="HeaderRoom"/> of
    /// <see cref="Buffer"/>, received from <see cref="From"/> on <see cref="Socket"/>. SendUp, SendDown: the first
    /// <see cref="Length"/> bytes of <see cref="Buffer"/>, to <see cref="From"/> (the target) or the client, counting
    /// <see cref="Counted"/> payload bytes.
    /// </summary>
    private readonly record struct Handoff(HandoffKind Kind, byte[]? Buffer, int Length, int Counted, SocketError Error, Socket Socket, SocketAddress? From, IPEndPoint? Destination, UdpEndpointKey Source);

    /// <summary>One of the association's sockets on the loop: its handle, the sender address every receive fills in place, its error run.</summary>
    private sealed class LoopSocket(UdpAssociation owner, Socket socket) : IDatagramReadable
    {
        public Socket Socket { get; } = socket;

        public SafeHandle Handle { get; } = socket.SafeHandle;

        public SocketAddress From { get; } = new(socket.AddressFamily);

        public ulong Id { get; set; }

        public int Errors { get; set; }

        public void OnReadable(byte[] buffer) => owner.OnReadable(this, buffer);

        public void Fail(Exception error) => owner.FailOnLoop(error);
    }
}
