using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.UsernamePassword;

using Xunit;

namespace Windsock.Server.Tests.Support;

/// <summary>
/// A scripted SOCKS client over a plain socket that reuses the production codec, so tests can send
/// exactly the bytes they mean, valid or not, and read exactly what comes back.
/// </summary>
internal sealed class RawClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private RawClient(Socket socket)
    {
        Socket = socket;
    }

    public Socket Socket { get; }

    /// <param name="server">Where to connect.</param>
    /// <param name="from">The local address to connect from (BIND tests play a peer at 127.0.0.2).</param>
    public static async Task<RawClient> ConnectAsync(IPEndPoint server, IPAddress? from = null)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(server, cts.Token);
        return new RawClient(socket);
    }

    public Task SendAsync(params byte[] bytes) => Socket.SendAsync(bytes, SocketFlags.None);

    /// <summary>Reads exactly <paramref name="count"/> bytes, or fails when the server closes or stays silent.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[count];
        int read = 0;
        using var cts = new CancellationTokenSource(Timeout);
        while (read < count)
        {
            int n = await Socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"server closed after {read} of {count} bytes");
            }

            read += n;
        }

        return buffer;
    }

    /// <summary>Reads until the server closes (bounded); returns everything received.</summary>
    public async Task<byte[]> ReadToEndAsync(TimeSpan? timeout = null)
    {
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        while (true)
        {
            int n;
            try
            {
                n = await Socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return all.ToArray();
            }

            if (n == 0)
            {
                return all.ToArray();
            }

            all.Write(buffer, 0, n);
        }
    }

    public async Task<byte> GreetAsync(params AuthMethod[] methods)
    {
        var buffer = new byte[2 + methods.Length];
        Socks5Greeting.Write(buffer, methods.Select(m => (byte)m).ToArray());
        await SendAsync(buffer);
        var reply = await ReadExactlyAsync(2);
        Assert.Equal(5, reply[0]);
        return reply[1];
    }

    public async Task<bool> LoginAsync(string user, string password)
    {
        var request = new UsernamePasswordRequest(user, password);
        var buffer = new byte[SocksLimits.MaxUsernamePasswordRequestLength];
        await SendAsync(buffer[..request.Write(buffer)]);
        var reply = await ReadExactlyAsync(2);
        Assert.Equal(1, reply[0]);
        return reply[1] == 0;
    }

    public async Task<Socks5Reply> RequestAsync(Socks5Command command, SocksEndpoint destination)
    {
        var request = new Socks5Request(command, destination);
        var buffer = new byte[request.EncodedLength];
        request.Write(buffer);
        await SendAsync(buffer);
        return await ReadSocks5ReplyAsync();
    }

    public async Task<Socks5Reply> ReadSocks5ReplyAsync()
    {
        var received = new List<byte>();
        while (true)
        {
            received.AddRange(await ReadExactlyAsync(1));
            var result = Socks5Reply.TryParse(received.ToArray(), out var reply);
            if (result.IsDone)
            {
                return reply;
            }

            Assert.False(result.IsError, $"invalid reply: {result.Error}");
        }
    }

    public async Task<Socks5Reply> ConnectSocks5Async(SocksEndpoint destination)
    {
        Assert.Equal((byte)AuthMethod.None, await GreetAsync(AuthMethod.None));
        return await RequestAsync(Socks5Command.Connect, destination);
    }

    public async Task<Socks4Reply> ConnectSocks4Async(SocksEndpoint destination, string userId = "")
    {
        var request = new Socks4Request(Socks4Command.Connect, destination, userId);
        var buffer = new byte[request.EncodedLength];
        request.Write(buffer);
        await SendAsync(buffer);
        Socks4Reply.TryParse(await ReadExactlyAsync(Socks4Reply.Length), out var reply);
        return reply;
    }

    /// <summary>Sends a SOCKS4 request with any command and reads the (first) reply.</summary>
    public async Task<Socks4Reply> RequestSocks4Async(Socks4Command command, SocksEndpoint destination, string userId = "")
    {
        var request = new Socks4Request(command, destination, userId);
        var buffer = new byte[request.EncodedLength];
        request.Write(buffer);
        await SendAsync(buffer);
        return await ReadSocks4ReplyAsync();
    }

    public async Task<Socks4Reply> ReadSocks4ReplyAsync()
    {
        Assert.True(Socks4Reply.TryParse(await ReadExactlyAsync(Socks4Reply.Length), out var reply).IsDone);
        return reply;
    }

    /// <summary>True when the server has closed the connection (bounded wait).</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan? timeout = null)
    {
        try
        {
            var rest = await ReadToEndAsync(timeout);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => Socket.Dispose();
}
