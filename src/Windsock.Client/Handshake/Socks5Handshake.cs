using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.UsernamePassword;

namespace Windsock.Client.Handshake;

/// <summary>The client side of RFC 1928 with RFC 1929, one message at a time, codec from Windsock.Protocol.</summary>
internal static class Socks5Handshake
{
    /// <summary>
    /// Greeting, authentication and request; returns the first reply's BND address. A <paramref name="trailer"/>
    /// (PING / TRACEROUTE's options line) goes in the same write, announced by RSV X'01'.
    /// </summary>
    public static async ValueTask<SocksEndpoint> RequestAsync(
        ProxyConnection connection, HopContext hop, ProxyCommand command, SocksEndpoint destination, byte[] buffer, CancellationToken cancellationToken, ReadOnlyMemory<byte> trailer = default)
    {
        await NegotiateMethodAsync(connection, hop, buffer, cancellationToken).ConfigureAwait(false);

        // After GSSAPI with protection the stream wraps: the request and replies travel encapsulated.
        var stream = connection.Stream;

        // +----+-----+-------+------+----------+----------+
        // |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
        // +----+-----+-------+------+----------+----------+
        var request = new Socks5Request(ToSocks5(command), destination, trailer.IsEmpty ? (byte)0 : Socks5Request.ProbeOptionsFollow);
        int length = request.Write(buffer);
        trailer.Span.CopyTo(buffer.AsSpan(length));
        length += trailer.Length;
        await SocketIo.SendAllAsync(stream, buffer.AsMemory(0, length), hop, "the SOCKS5 request", cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(stream, hop, command, destination, buffer, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask NegotiateMethodAsync(ProxyConnection connection, HopContext hop, byte[] buffer, CancellationToken cancellationToken)
    {
        var stream = connection.Stream;

        // +----+----------+----------+
        // |VER | NMETHODS | METHODS  |
        // +----+----------+----------+
        int length = Socks5Greeting.Write(buffer, OfferedMethods(hop.Hop));
        await SocketIo.SendAllAsync(stream, buffer.AsMemory(0, length), hop, "the SOCKS5 greeting", cancellationToken).ConfigureAwait(false);

        // +----+--------+
        // |VER | METHOD |
        // +----+--------+
        int read = await SocketIo.ReceiveExactlyAsync(stream, buffer.AsMemory(0, Socks5MethodSelection.Length), hop, "the SOCKS5 greeting", cancellationToken).ConfigureAwait(false);
        if (read < Socks5MethodSelection.Length)
        {
            throw hop.Closed("the SOCKS5 greeting");
        }

        var parsed = Socks5MethodSelection.TryParse(buffer.AsSpan(0, read), out byte method);
        if (parsed.IsError)
        {
            throw hop.Violation($"its answer to the greeting starts with 0x{buffer[0]:X2}, not version 5");
        }

        var credentials = hop.Hop.Credentials;
        var gssapi = hop.Hop.Gssapi;
        switch ((AuthMethod)method)
        {
            case AuthMethod.None when !hop.Hop.Protects:
                ClientTrace.Write(hop, credentials is null && gssapi is null ? "method: no authentication" : "method: no authentication (credentials offered, not needed)");
                return;
            case AuthMethod.Gssapi when gssapi is not null:
                await GssapiHandshake.NegotiateAsync(connection, hop, gssapi, cancellationToken).ConfigureAwait(false);
                return;
            case AuthMethod.UsernamePassword when credentials is not null && !hop.Hop.Protects:
                await AuthenticateAsync(stream, hop, credentials, buffer, cancellationToken).ConfigureAwait(false);
                ClientTrace.Write(hop, $"method: username/password, user '{credentials.UserName}' accepted");
                return;
            case AuthMethod.NoAcceptableMethods:
                throw hop.NoAcceptableMethod();
            default:
                throw hop.Violation($"it chose method 0x{method:X2}, which was not offered");
        }
    }

    /// <summary>
    /// What the greeting offers, in order. Without GSSAPI: none, then username/password with credentials
    /// (a proxy that wants no authentication must still work; .NET's SocksHelper once offered only "none"
    /// when it had credentials, so they were never used). With GSSAPI: GSSAPI first, then username/password,
    /// then none; but GSSAPI alone when it must protect the data, since the others cannot. Windsock's
    /// private reason method always comes last: servers never select it, and a Windsock server then follows
    /// a failure reply with the reason in words (docs/protocol-extensions.md).
    /// </summary>
    internal static byte[] OfferedMethods(ProxyHop hop) => (hop.Credentials, hop.Gssapi) switch
    {
        (_, { Protects: true }) => [(byte)AuthMethod.Gssapi, DenialReason.MethodCode],
        (null, null) => [(byte)AuthMethod.None, DenialReason.MethodCode],
        (_, null) => [(byte)AuthMethod.None, (byte)AuthMethod.UsernamePassword, DenialReason.MethodCode],
        (null, _) => [(byte)AuthMethod.Gssapi, (byte)AuthMethod.None, DenialReason.MethodCode],
        _ => [(byte)AuthMethod.Gssapi, (byte)AuthMethod.UsernamePassword, (byte)AuthMethod.None, DenialReason.MethodCode],
    };

    private static async ValueTask AuthenticateAsync(Stream stream, HopContext hop, SocksCredentials credentials, byte[] buffer, CancellationToken cancellationToken)
    {
        // +----+------+----------+------+----------+
        // |VER | ULEN |  UNAME   | PLEN |  PASSWD  |
        // +----+------+----------+------+----------+
        // VER is the sub-negotiation's version 1, not SOCKS's 5 (another past bug of .NET's SocksHelper).
        int length = new UsernamePasswordRequest(credentials.UserName, credentials.Password).Write(buffer);
        await SocketIo.SendAllAsync(stream, buffer.AsMemory(0, length), hop, "username/password authentication", cancellationToken).ConfigureAwait(false);

        // +----+--------+
        // |VER | STATUS |
        // +----+--------+
        int read = await SocketIo.ReceiveExactlyAsync(stream, buffer.AsMemory(0, UsernamePasswordReply.Length), hop, "username/password authentication", cancellationToken).ConfigureAwait(false);
        if (read < UsernamePasswordReply.Length)
        {
            throw hop.Closed("username/password authentication");
        }

        if (UsernamePasswordReply.TryParse(buffer.AsSpan(0, read), out bool success).IsError)
        {
            throw hop.Violation($"its username/password answer has version 0x{buffer[0]:X2}, not 1");
        }

        if (!success)
        {
            throw hop.AuthenticationFailed(buffer[1]);
        }
    }

    /// <summary>
    /// Reads one reply, exactly as long as its ATYP says: BIND sends two, and after CONNECT the next
    /// bytes are the destination's. A failure code is reported even when the rest of the reply is junk.
    /// </summary>
    public static async ValueTask<SocksEndpoint> ReadReplyAsync(
        Stream stream, HopContext hop, ProxyCommand command, SocksEndpoint destination, byte[] buffer, CancellationToken cancellationToken)
    {
        // +----+-----+-------+------+----------+----------+
        // |VER | REP |  RSV  | ATYP | BND.ADDR | BND.PORT |
        // +----+-----+-------+------+----------+----------+
        // The first five bytes include the name length when ATYP is 3.
        const int Head = 5;
        string during = "the SOCKS5 reply";
        int read = await SocketIo.ReceiveExactlyAsync(stream, buffer.AsMemory(0, Head), hop, during, cancellationToken).ConfigureAwait(false);
        if (read >= 1 && buffer[0] != Socks5Greeting.Version)
        {
            throw hop.Violation($"its reply starts with 0x{buffer[0]:X2}, not version 5", destination.ToString());
        }

        if (read >= 2 && buffer[1] != (byte)Socks5ReplyCode.Succeeded)
        {
            var reason = await TryReadReasonAsync(stream, buffer, read, cancellationToken).ConfigureAwait(false);
            throw hop.CommandFailed(command, destination.ToString(), buffer[1], ReplyText.Socks5(buffer[1]), reason);
        }

        if (read < Head)
        {
            throw hop.Closed(during);
        }

        int rest = (AddressType)buffer[3] switch
        {
            AddressType.IPv4 => 4 - 1 + 2,
            AddressType.IPv6 => 16 - 1 + 2,
            AddressType.DomainName => buffer[4] + 2,
            _ => throw hop.Violation($"its reply has address type 0x{buffer[3]:X2}", destination.ToString()),
        };

        read += await SocketIo.ReceiveExactlyAsync(stream, buffer.AsMemory(Head, rest), hop, during, cancellationToken).ConfigureAwait(false);
        if (read < Head + rest)
        {
            throw hop.Closed(during);
        }

        var parsed = Socks5Reply.TryParse(buffer.AsSpan(0, read), out var reply);
        if (!parsed.IsDone)
        {
            throw hop.Violation($"its reply is malformed ({parsed.Error})", destination.ToString());
        }

        return reply.Bound;
    }

    /// <summary>
    /// After a failure reply a Windsock server sends its reason at once (we offered the method); other
    /// servers just close, and a few keep the connection open. Reads the rest of the reply, then the
    /// reason, within <see cref="SocksClientOptions.DenialReasonTimeout"/>, and never fails: a missing or
    /// garbled reason is simply no reason.
    /// </summary>
    private static async ValueTask<string?> TryReadReasonAsync(Stream stream, byte[] buffer, int read, CancellationToken cancellationToken)
    {
        var wait = (ClientCall.Current?.Options ?? SocksClientOptions.Default).DenialReasonTimeout;
        if (wait == TimeSpan.Zero)
        {
            return null;
        }

        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(wait);
        var received = new List<byte>(buffer.AsSpan(0, read).ToArray());
        var chunk = new byte[512];
        try
        {
            while (received.Count < 4 + 1 + 255 + 2 + DenialReason.MaxLength)
            {
                var bytes = received.ToArray();
                var reply = Socks5Reply.TryParse(bytes, out _);
                if (reply.IsError)
                {
                    return null;
                }

                if (reply.IsDone && DenialReason.TryParse(bytes.AsSpan(reply.Consumed), out var reason) is { Status: not ParseStatus.NeedMore } parsed)
                {
                    return parsed.IsDone && reason.Length > 0 ? reason : null;
                }

                int n = await stream.ReadAsync(chunk, bound.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return null;
                }

                received.AddRange(chunk.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // No reason came in time; the reply code alone tells what happened.
        }

        return null;
    }

    private static Socks5Command ToSocks5(ProxyCommand command) => command switch
    {
        ProxyCommand.Connect => Socks5Command.Connect,
        ProxyCommand.Bind => Socks5Command.Bind,
        ProxyCommand.Resolve => Socks5Command.Resolve,
        ProxyCommand.ResolvePtr => Socks5Command.ResolvePtr,
        ProxyCommand.Ping => Socks5Command.Ping,
        ProxyCommand.Traceroute => Socks5Command.Traceroute,
        _ => Socks5Command.UdpAssociate,
    };
}
