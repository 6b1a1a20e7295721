using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Windsock.Client.Gssapi;
using Windsock.Protocol;
using Windsock.Protocol.Gssapi;
using Windsock.Protocol.Socks5;

namespace Windsock.Client.Tests.Support;

/// <summary>
/// A scripted RFC 1961 peer: a small SOCKS5 proxy on loopback that accepts GSSAPI only, as rcmd/localhost
/// with a .NET acceptor context (Kerberos, keytab from KRB5_KTNAME), grants what <see cref="Grant"/> says,
/// and then serves CONNECT, BIND and UDP ASSOCIATE with the request, replies, data and datagrams wrapped
/// when the level protects. Its wire code is written from the RFC here; its wrapping reuses the library's
/// GssapiStream and GssapiSession, whose framing the GssapiStreamTests check byte by byte on their own.
/// </summary>
internal sealed class GssapiProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly ConcurrentQueue<Task> _sessions = new();

    public GssapiProxy()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        _accepting = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>The level to grant for the level asked; the default grants what is asked.</summary>
    public Func<GssapiProtectionLevel, GssapiProtectionLevel> Grant { get; init; } = asked => asked;

    /// <summary>The protection-level octets travel unwrapped both ways (NEC style).</summary>
    public bool Nec { get; init; }

    /// <summary>Sends the abort instead of answering the client's first context token.</summary>
    public bool AbortContext { get; init; }

    /// <summary>Each client's greeting methods, in order of arrival.</summary>
    public ConcurrentQueue<byte[]> Greetings { get; } = new();

    /// <summary>The client principals the acceptor saw, and the level each client asked for.</summary>
    public ConcurrentQueue<(string Client, GssapiProtectionLevel Asked)> Sessions { get; } = new();

    /// <summary>What went wrong in sessions (failures are the tests' to look at).</summary>
    public ConcurrentQueue<Exception> Failures { get; } = new();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptAsync(_stop.Token);
                _sessions.Enqueue(ServeAsync(socket));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        NegotiateAuthentication? context = null;
        try
        {
            var token = _stop.Token;

            // +----+----------+----------+
            // |VER | NMETHODS | METHODS  |
            // +----+----------+----------+
            var head = await ReadExactlyAsync(stream, 2, token);
            var methods = await ReadExactlyAsync(stream, head[1], token);
            Greetings.Enqueue(methods);
            if (Array.IndexOf(methods, (byte)AuthMethod.Gssapi) < 0)
            {
                await stream.WriteAsync(new byte[] { 5, 0xFF }, token);
                return;
            }

            await stream.WriteAsync(new byte[] { 5, (byte)AuthMethod.Gssapi }, token);

            // Section 3: context tokens until the acceptor is complete.
            context = new NegotiateAuthentication(new NegotiateAuthenticationServerOptions
            {
                Package = "Kerberos",
                Credential = CredentialCache.DefaultNetworkCredentials,
            });
            while (true)
            {
                var (type, body) = await ReadMessageAsync(stream, token);
                if (type != GssapiMessageType.ContextToken)
                {
                    throw new InvalidDataException($"expected a context token, got type {type}");
                }

                if (AbortContext)
                {
                    await stream.WriteAsync(new byte[] { 1, 0xFF }, token);
                    return;
                }

                var reply = context.GetOutgoingBlob(body, out var status);
                if (status is not (NegotiateAuthenticationStatusCode.Completed or NegotiateAuthenticationStatusCode.ContinueNeeded))
                {
                    await stream.WriteAsync(new byte[] { 1, 0xFF }, token);
                    throw new InvalidDataException($"acceptor failed: {status}");
                }

                if (reply is { Length: > 0 })
                {
                    await WriteMessageAsync(stream, GssapiMessageType.ContextToken, reply, token);
                }

                if (status == NegotiateAuthenticationStatusCode.Completed)
                {
                    break;
                }
            }

            // Section 4: the client's level (wrapped with integrity unless NEC), and the level granted.
            var (levelType, levelToken) = await ReadMessageAsync(stream, token);
            if (levelType != GssapiMessageType.ProtectionLevel)
            {
                throw new InvalidDataException($"expected the protection level, got type {levelType}");
            }

            byte[] asked = Nec ? levelToken : Unwrap(context, levelToken, mustBeEncrypted: false);
            if (asked.Length != 1)
            {
                throw new InvalidDataException($"protection level of {asked.Length} octets");
            }

            Sessions.Enqueue((context.RemoteIdentity.Name ?? "", (GssapiProtectionLevel)asked[0]));
            var granted = Grant((GssapiProtectionLevel)asked[0]);
            await WriteMessageAsync(stream, GssapiMessageType.ProtectionLevel, Nec ? [(byte)granted] : Wrap(context, [(byte)granted]), token);

            GssapiSession? session = null;
            if (granted != GssapiProtectionLevel.Clear)
            {
                session = new GssapiSession(context, granted, granted);
                stream = new GssapiStream(stream, socket, session);
                context = null;
            }

            await ServeRequestAsync(socket, stream, session, token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Failures.Enqueue(e);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            context?.Dispose();
            await stream.DisposeAsync();
        }
    }

    private static async Task ServeRequestAsync(Socket control, Stream stream, GssapiSession? session, CancellationToken token)
    {
        // +----+-----+-------+------+----------+----------+
        // |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
        // +----+-----+-------+------+----------+----------+
        var request = new List<byte>(await ReadExactlyAsync(stream, 5, token));
        int rest = (AddressType)request[3] switch
        {
            AddressType.IPv4 => 3 + 2,
            AddressType.IPv6 => 15 + 2,
            _ => request[4] + 2,
        };
        request.AddRange(await ReadExactlyAsync(stream, rest, token));
        if (!Socks5Request.TryParse(request.ToArray(), out var parsed).IsDone)
        {
            throw new InvalidDataException("malformed request");
        }

        switch (parsed.Command)
        {
            case Socks5Command.Connect:
                using (var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp))
                {
                    await upstream.ConnectAsync(ToEndPoint(parsed.Destination), token);
                    await WriteReplyAsync(stream, (IPEndPoint)upstream.LocalEndPoint!, token);
                    await RelayAsync(stream, upstream, token);
                }

                break;
            case Socks5Command.Bind:
                using (var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                {
                    listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    listener.Listen(1);
                    await WriteReplyAsync(stream, (IPEndPoint)listener.LocalEndPoint!, token);
                    using var peer = await listener.AcceptAsync(token);
                    await WriteReplyAsync(stream, (IPEndPoint)peer.RemoteEndPoint!, token);
                    await RelayAsync(stream, peer, token);
                }

                break;
            case Socks5Command.UdpAssociate:
                await ServeUdpAsync(control, stream, session, parsed.Destination, token);
                break;
            default:
                await stream.WriteAsync(new byte[] { 5, 7, 0, 1, 0, 0, 0, 0, 0, 0 }, token);
                break;
        }
    }

    private static async Task ServeUdpAsync(Socket control, Stream stream, GssapiSession? session, SocksEndpoint client, CancellationToken token)
    {
        using var relay = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        relay.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await WriteReplyAsync(stream, (IPEndPoint)relay.LocalEndPoint!, token);
        EndPoint clientEndPoint = new IPEndPoint(client.Address!, client.Port);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(token);

        // The association lives as long as the control connection.
        _ = Task.Run(async () =>
        {
            try
            {
                await stream.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false, done.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }

            await done.CancelAsync();
        }, CancellationToken.None);

        var buffer = new byte[70_000];
        try
        {
            while (true)
            {
                var received = await relay.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), done.Token);
                Span<byte> datagram = buffer.AsSpan(0, received.ReceivedBytes);
                if (received.RemoteEndPoint.Equals(clientEndPoint))
                {
                    if (session is not null)
                    {
                        if (!GssapiMessage.TryParse(datagram, out var message).IsDone || message.Type != GssapiMessageType.Encapsulated)
                        {
                            continue;
                        }

                        var tokenSpan = datagram.Slice(GssapiMessage.HeaderLength, message.TokenLength);
                        if (session.TryUnwrapInPlace(tokenSpan, out int offset, out int length) is not null)
                        {
                            continue;
                        }

                        datagram = tokenSpan.Slice(offset, length);
                    }

                    // RSV RSV FRAG, then the address.
                    if (!Socks5Address.TryRead(datagram[3..], out var target).IsDone)
                    {
                        continue;
                    }

                    int header = 3 + target.Socks5EncodedLength;
                    await relay.SendToAsync(datagram[header..].ToArray(), SocketFlags.None, ToEndPoint(target), done.Token);
                }
                else
                {
                    var from = SocksEndpoint.FromEndPoint((IPEndPoint)received.RemoteEndPoint);
                    var plain = new byte[3 + from.Socks5EncodedLength + received.ReceivedBytes];
                    Socks5Address.Write(plain.AsSpan(3), from);
                    buffer.AsSpan(0, received.ReceivedBytes).CopyTo(plain.AsSpan(3 + from.Socks5EncodedLength));
                    byte[] outgoing = plain;
                    if (session is not null)
                    {
                        using var frame = new GssapiFrameBuffer();
                        session.TryWrap(plain, frame);
                        outgoing = frame.Written.ToArray();
                    }

                    await relay.SendToAsync(outgoing, SocketFlags.None, clientEndPoint, done.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        GC.KeepAlive(control);
    }

    private static async Task WriteReplyAsync(Stream stream, IPEndPoint bound, CancellationToken token)
    {
        var reply = new byte[SocksLimits.MaxSocks5RequestLength];
        int length = new Socks5Reply(Socks5ReplyCode.Succeeded, SocksEndpoint.FromEndPoint(bound)).Write(reply);
        await stream.WriteAsync(reply.AsMemory(0, length), token);
    }

    private static async Task RelayAsync(Stream client, Socket upstream, CancellationToken token)
    {
        using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
        var up = Task.Run(async () =>
        {
            await client.CopyToAsync(upstreamStream, token);
            upstream.Shutdown(SocketShutdown.Send);
        }, token);
        await upstreamStream.CopyToAsync(client, token);
        switch (client)
        {
            case GssapiStream gssapi:
                gssapi.CompleteWrites();
                break;
            case NetworkStream network:
                network.Socket.Shutdown(SocketShutdown.Send);
                break;
        }

        await up;
    }

    private static EndPoint ToEndPoint(SocksEndpoint endpoint) =>
        endpoint.Address is { } address ? new IPEndPoint(address, endpoint.Port) : new DnsEndPoint(endpoint.Host!, endpoint.Port);

    private static byte[] Wrap(NegotiateAuthentication context, byte[] plaintext)
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        var status = context.Wrap(plaintext, writer, requestEncryption: false, out _);
        return status == NegotiateAuthenticationStatusCode.Completed ? writer.WrittenSpan.ToArray() : throw new InvalidDataException($"wrap: {status}");
    }

    private static byte[] Unwrap(NegotiateAuthentication context, byte[] token, bool mustBeEncrypted)
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        var status = context.Unwrap(token, writer, out bool encrypted);
        return status == NegotiateAuthenticationStatusCode.Completed && (encrypted || !mustBeEncrypted)
            ? writer.WrittenSpan.ToArray()
            : throw new InvalidDataException($"unwrap: {status}");
    }

    public static async Task<(GssapiMessageType Type, byte[] Token)> ReadMessageAsync(Stream stream, CancellationToken token)
    {
        var head = await ReadExactlyAsync(stream, 2, token);
        if (head[0] != GssapiMessage.Version)
        {
            throw new InvalidDataException($"GSSAPI message version {head[0]}");
        }

        if (head[1] == (byte)GssapiMessageType.Abort)
        {
            return (GssapiMessageType.Abort, []);
        }

        var length = await ReadExactlyAsync(stream, 2, token);
        return ((GssapiMessageType)head[1], await ReadExactlyAsync(stream, (length[0] << 8) | length[1], token));
    }

    public static async Task WriteMessageAsync(Stream stream, GssapiMessageType type, byte[] body, CancellationToken token)
    {
        var frame = new byte[GssapiMessage.HeaderLength + body.Length];
        GssapiMessage.Write(frame, type, body);
        await stream.WriteAsync(frame, token);
    }

    public static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken token)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, token);
        return buffer;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        foreach (var session in _sessions)
        {
            await session.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }
}
