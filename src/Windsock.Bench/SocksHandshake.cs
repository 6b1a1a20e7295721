using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Windsock.Bench;

/// <summary>
/// Client side of SOCKS4/4a CONNECT and of SOCKS5 CONNECT and UDP ASSOCIATE (RFC 1928), with
/// optional RFC 1929 username/password. Written against the specifications directly so the
/// benchmark never shares code (or bugs) with the server under test.
/// </summary>
public sealed class SocksHandshake
{
    private const byte Version4 = 0x04;
    private const byte Version5 = 0x05;
    private const byte MethodNoAuth = 0x00;
    private const byte MethodUserPass = 0x02;
    private const byte MethodNoAcceptable = 0xFF;
    private const byte CommandConnect = 0x01;
    private const byte CommandBind = 0x02;
    private const byte CommandUdpAssociate = 0x03;
    private const byte AtypIPv4 = 0x01;
    private const byte AtypDomain = 0x03;
    private const byte AtypIPv6 = 0x04;
    private const byte Socks4Granted = 90;

    private readonly ProxyProtocol _protocol;
    private readonly byte[] _greeting;
    private readonly byte[]? _authRequest;
    private readonly byte[] _socks4UserId;

    public SocksHandshake(ProxyProtocol protocol, SocksCredentials? credentials)
    {
        _protocol = protocol;
        _socks4UserId = Encoding.UTF8.GetBytes(credentials?.Username ?? "");
        if (protocol is ProxyProtocol.Socks4 or ProxyProtocol.Socks4a)
        {
            _greeting = [];
            return;
        }

        if (credentials is null)
        {
            _greeting = [Version5, 1, MethodNoAuth];
            return;
        }

        byte[] user = Encoding.UTF8.GetBytes(credentials.Username);
        byte[] pass = Encoding.UTF8.GetBytes(credentials.Password);
        if (user.Length is 0 or > 255 || pass.Length is 0 or > 255)
        {
            throw new ArgumentException("username and password must each be 1..255 bytes of UTF-8", nameof(credentials));
        }

        _greeting = [Version5, 1, MethodUserPass];
        _authRequest = new byte[3 + user.Length + pass.Length];
        _authRequest[0] = 0x01;
        _authRequest[1] = (byte)user.Length;
        user.CopyTo(_authRequest, 2);
        _authRequest[2 + user.Length] = (byte)pass.Length;
        pass.CopyTo(_authRequest, 3 + user.Length);
    }

    /// <summary>
    /// Builds the CONNECT request once, for reuse on every connection: to the literal
    /// <paramref name="target"/>, or (SOCKS4a, socks5h) to <paramref name="name"/> on its port.
    /// </summary>
    public byte[] BuildConnectRequest(IPEndPoint target, string? name)
    {
        ArgumentNullException.ThrowIfNull(target);
        bool byName = _protocol is ProxyProtocol.Socks4a or ProxyProtocol.Socks5h;
        if (byName && string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("this protocol sends the destination by name", nameof(name));
        }

        byte[] nameBytes = byName ? Encoding.ASCII.GetBytes(name!) : [];
        if (_protocol is ProxyProtocol.Socks4 or ProxyProtocol.Socks4a)
        {
            if (!byName && target.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new ArgumentException("SOCKS4 reaches IPv4 destinations only", nameof(target));
            }

            var request = new List<byte>(9 + _socks4UserId.Length + nameBytes.Length + 1) { Version4, CommandConnect, (byte)(target.Port >> 8), (byte)target.Port };
            request.AddRange(byName ? [0, 0, 0, 1] : target.Address.GetAddressBytes());
            request.AddRange(_socks4UserId);
            request.Add(0);
            if (byName)
            {
                request.AddRange(nameBytes);
                request.Add(0);
            }

            return [.. request];
        }

        if (byName)
        {
            if (nameBytes.Length > 255)
            {
                throw new ArgumentException("a SOCKS5 domain name is at most 255 bytes", nameof(name));
            }

            byte[] named = new byte[5 + nameBytes.Length + 2];
            named[0] = Version5;
            named[1] = CommandConnect;
            named[3] = AtypDomain;
            named[4] = (byte)nameBytes.Length;
            nameBytes.CopyTo(named, 5);
            BinaryPrimitives.WriteUInt16BigEndian(named.AsSpan(5 + nameBytes.Length), (ushort)target.Port);
            return named;
        }

        return BuildSocks5Request(CommandConnect, target);
    }

    /// <summary>
    /// Runs greeting, optional authentication and CONNECT on an already
    /// connected socket. On return the socket carries the tunnelled stream.
    /// </summary>
    public async ValueTask ConnectAsync(Socket socket, byte[] connectRequest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(connectRequest);
        if (_protocol is ProxyProtocol.Socks4 or ProxyProtocol.Socks4a)
        {
            byte[] reply = new byte[8];
            await SocketIo.SendAllAsync(socket, connectRequest, cancellationToken).ConfigureAwait(false);
            await SocketIo.ReceiveExactlyAsync(socket, reply, cancellationToken).ConfigureAwait(false);
            if (reply[0] != 0)
            {
                throw new SocksHandshakeException($"SOCKS4 reply has version {reply[0]}, expected 0");
            }

            if (reply[1] != Socks4Granted)
            {
                throw new SocksHandshakeException($"SOCKS4 request rejected with code {reply[1]}");
            }

            return;
        }

        await NegotiateAsync(socket, cancellationToken).ConfigureAwait(false);
        await RequestAsync(socket, connectRequest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// SOCKS5 UDP ASSOCIATE on an already connected control socket, announcing
    /// <paramref name="client"/> as the address datagrams will come from. Returns the relay's
    /// address as the proxy replied it (an unspecified address means the proxy's own).
    /// </summary>
    public async ValueTask<IPEndPoint> AssociateAsync(Socket socket, IPEndPoint client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(client);
        if (_protocol is ProxyProtocol.Socks4 or ProxyProtocol.Socks4a)
        {
            throw new SocksHandshakeException("SOCKS4 has no UDP ASSOCIATE");
        }

        await NegotiateAsync(socket, cancellationToken).ConfigureAwait(false);
        return await RequestAsync(socket, BuildSocks5Request(CommandUdpAssociate, client), cancellationToken).ConfigureAwait(false)
            ?? throw new SocksHandshakeException("UDP ASSOCIATE reply names the relay by domain name");
    }

    /// <summary>
    /// SOCKS5 BIND on an already connected control socket for a peer from <paramref name="expectedPeer"/>:
    /// returns the address the proxy listens on (its first reply). <see cref="ReadReplyAsync"/> then waits
    /// for the second reply, sent when the peer has connected.
    /// </summary>
    public async ValueTask<IPEndPoint> BindAsync(Socket socket, IPEndPoint expectedPeer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(expectedPeer);
        if (_protocol is ProxyProtocol.Socks4 or ProxyProtocol.Socks4a)
        {
            throw new SocksHandshakeException("the bench's BIND speaks SOCKS5 only");
        }

        await NegotiateAsync(socket, cancellationToken).ConfigureAwait(false);
        return await RequestAsync(socket, BuildSocks5Request(CommandBind, expectedPeer), cancellationToken).ConfigureAwait(false)
            ?? throw new SocksHandshakeException("BIND reply names the listener by domain name");
    }

    /// <summary>Reads one more SOCKS5 reply (BIND's second); returns BND.ADDR:PORT unless it is a name.</summary>
    public static ValueTask<IPEndPoint?> ReadReplyAsync(Socket socket, CancellationToken cancellationToken) =>
        RequestAsync(socket, [], cancellationToken);

    private static byte[] BuildSocks5Request(byte command, IPEndPoint target)
    {
        byte[] address = target.Address.GetAddressBytes();
        byte[] request = new byte[4 + address.Length + 2];
        request[0] = Version5;
        request[1] = command;
        request[2] = 0x00;
        request[3] = address.Length == 4 ? AtypIPv4 : AtypIPv6;
        address.CopyTo(request, 4);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4 + address.Length), (ushort)target.Port);
        return request;
    }

    private async ValueTask NegotiateAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] scratch = new byte[2];
        await SocketIo.SendAllAsync(socket, _greeting, cancellationToken).ConfigureAwait(false);
        await SocketIo.ReceiveExactlyAsync(socket, scratch, cancellationToken).ConfigureAwait(false);
        if (scratch[0] != Version5)
        {
            throw new SocksHandshakeException($"method selection has version {scratch[0]}, expected 5");
        }

        byte expectedMethod = _authRequest is null ? MethodNoAuth : MethodUserPass;
        if (scratch[1] == MethodNoAcceptable)
        {
            throw new SocksHandshakeException("proxy accepted none of the offered methods");
        }

        if (scratch[1] != expectedMethod)
        {
            throw new SocksHandshakeException($"proxy selected method {scratch[1]}, offered only {expectedMethod}");
        }

        if (_authRequest is not null)
        {
            await SocketIo.SendAllAsync(socket, _authRequest, cancellationToken).ConfigureAwait(false);
            await SocketIo.ReceiveExactlyAsync(socket, scratch, cancellationToken).ConfigureAwait(false);
            if (scratch[1] != 0x00)
            {
                throw new SocksHandshakeException($"username/password rejected (status {scratch[1]})");
            }
        }
    }

    /// <summary>Sends a SOCKS5 request and reads the reply; returns BND.ADDR:PORT unless it is a name.</summary>
    private static async ValueTask<IPEndPoint?> RequestAsync(Socket socket, byte[] request, CancellationToken cancellationToken)
    {
        // 262 bytes covers the longest reply: 4 + 1 + 255 + 2 for a domain name.
        byte[] scratch = new byte[262];
        await SocketIo.SendAllAsync(socket, request, cancellationToken).ConfigureAwait(false);
        await SocketIo.ReceiveExactlyAsync(socket, scratch.AsMemory(0, 4), cancellationToken).ConfigureAwait(false);
        if (scratch[0] != Version5)
        {
            throw new SocksHandshakeException($"reply has version {scratch[0]}, expected 5");
        }

        byte status = scratch[1];
        byte atyp = scratch[3];
        int rest = atyp switch
        {
            AtypIPv4 => 4 + 2,
            AtypIPv6 => 16 + 2,
            AtypDomain => -1,
            _ => throw new SocksHandshakeException($"reply has unknown address type {atyp}"),
        };
        if (rest < 0)
        {
            await SocketIo.ReceiveExactlyAsync(socket, scratch.AsMemory(0, 1), cancellationToken).ConfigureAwait(false);
            rest = scratch[0] + 2;
        }

        await SocketIo.ReceiveExactlyAsync(socket, scratch.AsMemory(0, rest), cancellationToken).ConfigureAwait(false);
        if (status != 0x00)
        {
            throw new SocksHandshakeException($"request failed with reply code {status}");
        }

        if (atyp == AtypDomain)
        {
            return null;
        }

        int length = atyp == AtypIPv4 ? 4 : 16;
        return new IPEndPoint(new IPAddress(scratch.AsSpan(0, length)), BinaryPrimitives.ReadUInt16BigEndian(scratch.AsSpan(length)));
    }
}
