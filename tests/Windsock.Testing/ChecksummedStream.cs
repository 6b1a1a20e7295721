using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Windsock.Protocol;
using Windsock.Protocol.UsernamePassword;

namespace Windsock.Testing;

/// <summary>
/// "Another client that keeps flowing" for the fault and hostile-client tests: one SOCKS5 CONNECT
/// (no authentication, or RFC 1929 username/password when given a login) through the proxy to an echo server, sending paced pseudo-random chunks while
/// a reader takes the echo back. SHA-256 of everything sent and everything echoed are compared at the
/// end; meanwhile a test can wait for the stream to make progress (it flows during the fault) and read
/// the longest wait between two echoed chunks (the latency a served client saw).
/// </summary>
public sealed class ChecksummedStream : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly IncrementalHash _sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly CancellationTokenSource _stopSending = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly int _chunk;
    private readonly TimeSpan _pace;
    private readonly Random _random;
    private Task _sender = Task.CompletedTask;
    private Task _reader = Task.CompletedTask;
    private long _bytesSent;
    private long _bytesEchoed;
    private long _longestGapTicks;

    private ChecksummedStream(Socket socket, int chunk, TimeSpan pace, int seed)
    {
        _socket = socket;
        _chunk = chunk;
        _pace = pace;
        _random = new Random(seed);
    }

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public long BytesEchoed => Interlocked.Read(ref _bytesEchoed);

    /// <summary>The longest time between two echoed reads so far (a stall of the relay shows here).</summary>
    public TimeSpan LongestGap => TimeSpan.FromTicks(Interlocked.Read(ref _longestGapTicks));

    /// <summary>
    /// Connects through <paramref name="proxy"/> to <paramref name="echo"/> and starts the flow (about chunk/pace bytes a second);
    /// logs in with <paramref name="login"/> when given (a server that requires a password), else offers no authentication.
    /// </summary>
    public static async Task<ChecksummedStream> StartAsync(IPEndPoint proxy, IPEndPoint echo, int chunk = 16 * 1024, TimeSpan? pace = null, int seed = 16,
        (string User, string Password)? login = null)
    {
        var socket = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await socket.ConnectAsync(proxy, timeout.Token);
            byte method = login is null ? (byte)0 : (byte)2;
            await socket.SendAsync(new byte[] { 5, 1, method }, SocketFlags.None, timeout.Token);
            var reply = new byte[2];
            await ReceiveExactlyAsync(socket, reply, timeout.Token);
            if (reply[0] != 5 || reply[1] != method)
            {
                throw new InvalidOperationException($"the proxy chose method {reply[1]}, not {method}");
            }

            if (login is { } credentials)
            {
                var loginRequest = new byte[SocksLimits.MaxUsernamePasswordRequestLength];
                int length = new UsernamePasswordRequest(credentials.User, credentials.Password).Write(loginRequest);
                await socket.SendAsync(loginRequest.AsMemory(0, length), SocketFlags.None, timeout.Token);
                await ReceiveExactlyAsync(socket, reply, timeout.Token);
                if (reply[1] != 0)
                {
                    throw new InvalidOperationException($"the proxy refused the login of {credentials.User} (status {reply[1]})");
                }
            }

            var address = echo.Address.GetAddressBytes();
            var request = new byte[4 + address.Length + 2];
            request[0] = 5;
            request[1] = 1;
            request[3] = (byte)(address.Length == 4 ? 1 : 4);
            address.CopyTo(request, 4);
            request[^2] = (byte)(echo.Port >> 8);
            request[^1] = (byte)echo.Port;
            await socket.SendAsync(request, SocketFlags.None, timeout.Token);
            var head = new byte[4];
            await ReceiveExactlyAsync(socket, head, timeout.Token);
            if (head[1] != 0)
            {
                throw new InvalidOperationException($"CONNECT through the proxy failed with reply code {head[1]}");
            }

            var rest = new byte[(head[3] == 4 ? 16 : 4) + 2];
            await ReceiveExactlyAsync(socket, rest, timeout.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new ChecksummedStream(socket, chunk, pace ?? TimeSpan.FromMilliseconds(5), seed);
        stream._sender = stream.SendLoopAsync();
        stream._reader = stream.ReadLoopAsync();
        return stream;
    }

    /// <summary>Waits (bounded) until <paramref name="bytes"/> more have come back; throws with the counts otherwise.</summary>
    public async Task WaitForProgressAsync(long bytes, TimeSpan timeout)
    {
        long target = BytesEchoed + bytes;
        var clock = Stopwatch.StartNew();
        while (BytesEchoed < target)
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"the checksummed stream stalled: {BytesEchoed} of {target} bytes echoed after {timeout.TotalSeconds:0}s");
            }

            if (_reader.IsCompleted)
            {
                await _reader; // its exception, or:
                throw new InvalidOperationException($"the checksummed stream ended early after {BytesEchoed} bytes");
            }

            await Task.WhenAny(_reader, Task.Delay(20));
        }
    }

    /// <summary>Stops sending, half-closes, reads the echo to its end (bounded) and compares the hashes.</summary>
    public async Task<StreamResult> FinishAsync(TimeSpan? timeout = null)
    {
        await _stopSending.CancelAsync();
        await _sender;
        _socket.Shutdown(SocketShutdown.Send);
        try
        {
            await _reader.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            await _abort.CancelAsync();
            throw new TimeoutException($"the echo did not end: {BytesEchoed} of {BytesSent} bytes back");
        }

        var sent = Convert.ToHexStringLower(_sent.GetHashAndReset());
        var received = Convert.ToHexStringLower(_received.GetHashAndReset());
        return new StreamResult(BytesSent, BytesEchoed, sent, received, LongestGap);
    }

    private async Task SendLoopAsync()
    {
        var buffer = new byte[_chunk];
        try
        {
            while (!_stopSending.IsCancellationRequested)
            {
                _random.NextBytes(buffer);
                _sent.AppendData(buffer);
                await _socket.SendAsync(buffer, SocketFlags.None, _abort.Token);
                Interlocked.Add(ref _bytesSent, buffer.Length);
                await Task.Delay(_pace, _stopSending.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        long last = Stopwatch.GetTimestamp();
        while (true)
        {
            int read = await _socket.ReceiveAsync(buffer, SocketFlags.None, _abort.Token);
            if (read == 0)
            {
                return;
            }

            long now = Stopwatch.GetTimestamp();
            long gap = Stopwatch.GetElapsedTime(last, now).Ticks;
            last = now;
            if (gap > Interlocked.Read(ref _longestGapTicks))
            {
                Interlocked.Exchange(ref _longestGapTicks, gap);
            }

            _received.AppendData(buffer, 0, read);
            Interlocked.Add(ref _bytesEchoed, read);
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer, CancellationToken token)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, token);
            if (read == 0)
            {
                throw new InvalidOperationException("the proxy closed the connection during the handshake");
            }

            filled += read;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopSending.CancelAsync();
        await _abort.CancelAsync();
        _socket.Dispose();
        try
        {
            await Task.WhenAll(_sender, _reader);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _sent.Dispose();
        _received.Dispose();
        _stopSending.Dispose();
        _abort.Dispose();
    }
}

/// <summary>What a <see cref="ChecksummedStream"/> sent and got back.</summary>
public sealed record StreamResult(long BytesSent, long BytesEchoed, string SentSha256, string EchoedSha256, TimeSpan LongestGap)
{
    public bool Intact => BytesSent == BytesEchoed && SentSha256 == EchoedSha256;

    public override string ToString() =>
        $"{BytesSent} bytes sent (SHA-256 {SentSha256}), {BytesEchoed} echoed (SHA-256 {EchoedSha256}), longest gap {LongestGap.TotalMilliseconds:0} ms";
}
