using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Windsock.Server.Configuration;
using Windsock.Server.Logging;
using Windsock.Server.Sessions;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>
/// What one short CONNECT session makes the server allocate: greeting, request, connect, one echoed message, close,
/// request and end lines written. The garbage a connection leaves costs GC time per connection, and memory the GC
/// keeps committed for the sessions that stay idle (docs/benchmarks.md, "Bytes per connection"). Not a timing test:
/// bytes are counted (GC.GetTotalAllocatedBytes, precise), and what the test's own client and destination allocate
/// (each on a thread of its own, blocking sockets) is counted on their threads and taken off.
/// </summary>
[Collection(AllocationCounting.Name)]
public class ConnectionAllocationTests(ITestOutputHelper output)
{
    private const int WarmUp = 200;
    private const int Measured = 300;
    private const int Runs = 3;

    // Bytes per connection the server may allocate: 1.5 times the 6,800-7,300 this path allocates now, below the
    // 12,200-12,500 main allocated before docs/benchmarks.md's "Bytes per connection" changes (its code fails here).
    // A few more objects per connection pass; a string per log field again, or a state machine per step, fails.
    private const double BoundPerConnection = 10_500;

    [Fact]
    public async Task A_short_connect_session_allocates_less_than_the_bound()
    {
        // As `windsock serve` runs it: the request log writes to a StreamWriter (standard output there), and nobody
        // listens to its lines (TestServer does, which would count strings serve never makes).
        var options = ServerOptions.Default with { Listen = [new IPEndPoint(IPAddress.Loopback, 0)] };
        await using var log = new RequestLog(new StreamWriter(Stream.Null, new UTF8Encoding(false)), options.LogFormat, TimeProvider.System);
        await using var context = new SessionContext(options, null, log, NullLogger.Instance, TimeProvider.System);
        await using var server = new SocksServer(context);
        server.Start();
        var proxy = server.LocalEndPoints[0];
        using var destination = new BlockingEcho();
        var request = ConnectRequest(destination.EndPoint);

        RunOnThread(() => Sessions(proxy, request, WarmUp));
        await WaitForSessionsToEndAsync(context);

        // The runtime's and the test host's own background work lands in one run now and then: the least of three is judged.
        var perConnection = new double[Runs];
        for (int run = 0; run < Runs; run++)
        {
            long echoBefore = destination.AllocatedBytes;
            long before = GC.GetTotalAllocatedBytes(precise: true);
            long client = RunOnThread(() => Sessions(proxy, request, Measured));
            await WaitForSessionsToEndAsync(context);
            long total = GC.GetTotalAllocatedBytes(precise: true) - before;
            perConnection[run] = (double)(total - client - (destination.AllocatedBytes - echoBefore)) / Measured;
        }

        string figures = string.Join(", ", perConnection.Select(b => b.ToString("0", CultureInfo.InvariantCulture)));
        output.WriteLine($"server bytes allocated per connection in {Runs} runs of {Measured}: {figures}");
        Assert.True(perConnection.Min() < BoundPerConnection, $"server bytes allocated per connection in {Runs} runs of {Measured}: {figures} (bound {BoundPerConnection})");
    }

    private static byte[] ConnectRequest(IPEndPoint destination)
    {
        var request = new byte[10];
        request[0] = 5;
        request[1] = 1;
        request[3] = 1;
        destination.Address.TryWriteBytes(request.AsSpan(4), out _);
        request[8] = (byte)(destination.Port >> 8);
        request[9] = (byte)destination.Port;
        return request;
    }

    /// <summary>Sessions one after the other, as `windsock bench connrate` makes them; the bytes this thread allocated.</summary>
    private static long Sessions(IPEndPoint proxy, byte[] request, int count)
    {
        byte[] greeting = [5, 1, 0];
        byte[] message = "hello, echo"u8.ToArray();
        var buffer = new byte[64];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < count; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
            socket.Connect(proxy);
            socket.Send(greeting);
            ReceiveExactly(socket, buffer, 2);
            socket.Send(request);
            ReceiveExactly(socket, buffer, 10);
            if (buffer[1] != 0)
            {
                throw new InvalidOperationException($"the proxy replied {buffer[1]}, not 0 (succeeded)");
            }

            socket.Send(message);
            ReceiveExactly(socket, buffer, message.Length);
            if (!buffer.AsSpan(0, message.Length).SequenceEqual(message))
            {
                throw new InvalidOperationException("the echo came back different");
            }
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static void ReceiveExactly(Socket socket, byte[] buffer, int count)
    {
        for (int got = 0; got < count;)
        {
            int read = socket.Receive(buffer, got, count - got, SocketFlags.None);
            if (read == 0)
            {
                throw new InvalidOperationException($"the proxy closed after {got} of {count} bytes");
            }

            got += read;
        }
    }

    private static long RunOnThread(Func<long> work)
    {
        long bytes = 0;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                bytes = work();
            }
            catch (Exception e) when (e is SocketException or InvalidOperationException)
            {
                failure = e;
            }
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(120)), "the sessions did not finish in 120 s");
        Assert.Null(failure);
        return bytes;
    }

    /// <summary>
    /// Every session has ended: each got its echo (so it was open), and a session leaves the live list after its end
    /// line, the last thing it allocates.
    /// </summary>
    private static async Task WaitForSessionsToEndAsync(SessionContext context)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (context.Metrics.Live.Count > 0)
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>A destination on a thread of its own: accept, echo one message, wait for the close; its allocations counted there.</summary>
    private sealed class BlockingEcho : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly Thread _thread;
        private long _allocated;
        private bool _stopping;

        public BlockingEcho()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(512);
            _thread = new Thread(Serve) { IsBackground = true };
            _thread.Start();
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

        public long AllocatedBytes => Interlocked.Read(ref _allocated);

        private void Serve()
        {
            var buffer = new byte[4096];
            while (true)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    using var socket = _listener.Accept();
                    socket.ReceiveTimeout = 10_000;
                    int read = socket.Receive(buffer);
                    if (read > 0)
                    {
                        socket.Send(buffer.AsSpan(0, read));
                    }

                    while (socket.Receive(buffer) > 0)
                    {
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    if (Volatile.Read(ref _stopping))
                    {
                        return;
                    }

                    // A session that failed shows on the client's thread; the destination goes on.
                }
                finally
                {
                    Interlocked.Add(ref _allocated, GC.GetAllocatedBytesForCurrentThread() - before);
                }
            }
        }

        public void Dispose()
        {
            Volatile.Write(ref _stopping, true);
            _listener.Dispose();
            _thread.Join(TimeSpan.FromSeconds(10));
        }
    }
}
