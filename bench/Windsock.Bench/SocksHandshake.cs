using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Windsock.Bench;

/// <summary>
/// Client side of a SOCKS5 CONNECT (RFC 1928), with optional RFC 1929
/// username/password. Written against the RFCs directly so the benchmark
/// never shares code (or bugs) with the server under test.
/// </summary>
public sealed class SocksHandshake
{
    private const byte Version5 = 0x05;
    private const byte MethodNoAuth = 0x00;
    private const byte MethodUserPass = 0x02;
    private const byte MethodNoAcceptable = 0xFF;
    private const byte CommandConnect = 0x01;
    private const byte AtypIPv4 = 0x01;
    private const byte AtypDomain = 0x03;
    private const byte AtypIPv6 = 0x04;

    private readonly byte[] _greeting;
    private readonly byte[]? _authRequest;

    public SocksHandshake(SocksCredentials? credentials)
    {
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

    /// <summary>Builds the CONNECT request for a literal IP target once, for reuse on every connection.</summary>
    public static byte[] BuildConnectRequest(IPEndPoint target)
    {
        ArgumentNullException.ThrowIfNull(target);
        byte[] address = target.Address.GetAddressBytes();
        byte[] request = new byte[4 + address.Length + 2];
        request[0] = Version5;
        request[1] = CommandConnect;
        request[2] = 0x00;
        request[3] = address.Length == 4 ? AtypIPv4 : AtypIPv6;
        address.CopyTo(request, 4);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4 + address.Length), (ushort)target.Port);
        return request;
    }

    /// <summary>
    /// Runs greeting, optional authentication and CONNECT on an already
    /// connected socket. On return the socket carries the tunnelled stream.
    /// </summary>
    public async ValueTask ConnectAsync(Socket socket, byte[] connectRequest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(connectRequest);

        // 262 bytes covers the longest reply: 4 + 1 + 255 + 2 for a domain name.
        byte[] scratch = new byte[262];

        await SocketIo.SendAllAsync(socket, _greeting, cancellationToken).ConfigureAwait(false);
        await SocketIo.ReceiveExactlyAsync(socket, scratch.AsMemory(0, 2), cancellationToken).ConfigureAwait(false);
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
            await SocketIo.ReceiveExactlyAsync(socket, scratch.AsMemory(0, 2), cancellationToken).ConfigureAwait(false);
            if (scratch[1] != 0x00)
            {
                throw new SocksHandshakeException($"username/password rejected (status {scratch[1]})");
            }
        }

        await SocketIo.SendAllAsync(socket, connectRequest, cancellationToken).ConfigureAwait(false);
        await SocketIo.ReceiveExactlyAsync(socket, scratch.AsMemory(0, 4), cancellationToken).ConfigureAwait(false);
        if (scratch[0] != Version5)
        {
            throw new SocksHandshakeException($"reply has version {scratch[0]}, expected 5");
        }

        byte status = scratch[1];
        int rest = scratch[3] switch
        {
            AtypIPv4 => 4 + 2,
            AtypIPv6 => 16 + 2,
            AtypDomain => -1,
            _ => throw new SocksHandshakeException($"reply has unknown address type {scratch[3]}"),
        };
        if (rest < 0)
        {
            await SocketIo.ReceiveExactlyAsync(socket, scratch.AsMemory(0, 1), cancellationToken).ConfigureAwait(false);
            rest = scratch[0] + 2;
        }

        await SocketIo.ReceiveExactlyAsync(socket, scratch.AsMemory(0, rest), cancellationToken).ConfigureAwait(false);
        if (status != 0x00)
        {
            throw new SocksHandshakeException($"CONNECT failed with reply code {status}");
        }
    }
}
