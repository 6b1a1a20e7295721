using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Authentication;
using Windsock.Server.Sessions;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>
/// The handshake loop (Linux): sessions wait for their next message and their outbound connect on the loop's epoll set
/// and continue on its threads; the .NET socket engine stays the fallback; a step that blocks leaves the loop first.
/// </summary>
[Collection(HandshakeLoopCollection.Name)]
public sealed class HandshakeLoopTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    // The loop is opt-in (WINDSOCK_HANDSHAKE_LOOP=1): on for these tests, which run alone, and back as it was after.
    private readonly bool _wasEnabled = HandshakeLoop.Enabled;

    public HandshakeLoopTests()
    {
        HandshakeLoop.Enabled = true;
    }

    public void Dispose() => HandshakeLoop.Enabled = _wasEnabled;

    [Fact]
    public async Task A_connect_whose_messages_come_one_by_one_continues_on_the_loop_and_relays()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the handshake loop is Linux only");
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var server = TestServer.Start();
        long before = HandshakeLoop.Continued;

        // Greeting, then the request only after the method selection: the server must wait for the request (on the
        // loop), and its relay waits there too (the connect to this host is answered before it would wait).
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(0, await client.GreetAsync(AuthMethod.None));
        var reply = await client.RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo.EndPoint));
        Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);

        await client.SendAsync("ping"u8.ToArray());
        Assert.Equal("ping"u8.ToArray(), await client.ReadExactlyAsync(4));
        Assert.True(HandshakeLoop.Continued - before >= 2, $"waits continued on the loop: {HandshakeLoop.Continued - before}, expected the request's and the relay's");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reader_told_to_wait_first_still_gets_bytes_that_are_there_already_or_come_later(bool there)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the handshake loop is Linux only");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!).WaitAsync(Bound);
        using var server = await listener.AcceptAsync().WaitAsync(Bound);
        using var reader = new HandshakeReader(server);
        await client.SendAsync(new byte[] { 5, 1, 0 }, SocketFlags.None);
        Assert.Equal(1, (await reader.ReadAsync<Socks5Greeting>(Socks5Greeting.TryParse, CancellationToken.None).AsTask().WaitAsync(Bound)).Methods.Count);

        // After the method selection: the next receive arms its wait without trying the socket. Bytes already in the
        // socket must make that wait report at once (an eager client), and bytes sent later must wake it.
        byte[] request = [5, 1, 0, 1, 127, 0, 0, 1, 0, 80];
        if (there)
        {
            await client.SendAsync(request, SocketFlags.None);
        }

        reader.WaitBeforeTrying();
        var reading = reader.ReadAsync<Socks5Request>(Socks5Request.TryParse, CancellationToken.None).AsTask();
        if (!there)
        {
            await client.SendAsync(request, SocketFlags.None);
        }

        var parsed = await reading.WaitAsync(Bound);
        Assert.Equal(Socks5Command.Connect, parsed.Command);
        Assert.Equal(80, parsed.Destination.Port);
    }

    [Fact]
    public async Task With_the_loop_off_sessions_wait_through_the_socket_engine_with_the_same_replies_and_timeouts()
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        HandshakeLoop.Disabled = true;
        try
        {
            await using var server = TestServer.Start(o => o with { NegotiationTimeout = TimeSpan.FromSeconds(1) });
            long before = HandshakeLoop.Continued;

            using (var client = await RawClient.ConnectAsync(server.EndPoint))
            {
                Assert.Equal(0, await client.GreetAsync(AuthMethod.None));
                Assert.Equal(Socks5ReplyCode.Succeeded, (await client.RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
                await client.SendAsync("pong"u8.ToArray());
                Assert.Equal("pong"u8.ToArray(), await client.ReadExactlyAsync(4));
            }

            // A refused connect says so, as on the loop.
            using (var client = await RawClient.ConnectAsync(server.EndPoint))
            {
                Assert.Equal(Socks5ReplyCode.ConnectionRefused, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(ClosedPort()))).Code);
            }

            // And a client that never finishes its greeting is cut at the negotiation timeout.
            using (var silent = await RawClient.ConnectAsync(server.EndPoint))
            {
                await silent.SendAsync(5);
                Assert.True(await silent.IsClosedByServerAsync(TimeSpan.FromSeconds(10)), "the silent client was not cut");
            }

            await server.WaitForLineAsync(l => l.Contains("negotiation timeout", StringComparison.Ordinal));
            Assert.Equal(before, HandshakeLoop.Continued);
        }
        finally
        {
            HandshakeLoop.Disabled = false;
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_connect_answered_only_after_a_retransmit_waits_on_the_loop_for_its_outcome(bool accepted)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the handshake loop is Linux only");
        await using var server = TestServer.Start();

        // A loopback destination answers inside connect(2), so the session asks at once and goes on without a wait. To
        // make the wait happen: a listener whose accept queue is full drops the server's SYN; once the server's connect
        // is seen in progress the queue is emptied (or the listener closed), and the SYN's retransmit, about a second
        // later, is answered (or refused). Taking "in progress" for "connected" would reply success in both cases.
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(0);
            var target = (IPEndPoint)listener.LocalEndPoint!;
            using var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await filler.ConnectAsync(target).WaitAsync(Bound);

            using var client = await RawClient.ConnectAsync(server.EndPoint);
            var reply = client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(target));
            await WaitForSynSentAsync(target.Port, Bound);
            if (!accepted)
            {
                listener.Dispose();
                Assert.Equal(Socks5ReplyCode.ConnectionRefused, (await reply.WaitAsync(Bound)).Code);
                return;
            }

            (await listener.AcceptAsync().WaitAsync(Bound)).Dispose();
            Assert.Equal(Socks5ReplyCode.Succeeded, (await reply.WaitAsync(Bound)).Code);
            using var peer = await listener.AcceptAsync().WaitAsync(Bound);
            await client.SendAsync("late"u8.ToArray());
            var received = new byte[4];
            Assert.Equal(4, await peer.ReceiveAsync(received, SocketFlags.None).WaitAsync(Bound));
            Assert.Equal("late"u8.ToArray(), received);
        }
        finally
        {
            listener.Dispose();
        }
    }

    /// <summary>Until /proc/net/tcp shows a socket in SYN_SENT towards 127.0.0.1:<paramref name="port"/>.</summary>
    private static async Task WaitForSynSentAsync(int port, TimeSpan bound)
    {
        string remote = $"0100007F:{port:X4}";
        var clock = Stopwatch.StartNew();
        while (!File.ReadLines("/proc/net/tcp").Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Any(f => f[2] == remote && f[3] == "02"))
        {
            Assert.True(clock.Elapsed < bound, $"no connect towards port {port} in progress within {bound.TotalSeconds}s");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task On_the_loop_a_refused_connect_and_a_silent_client_end_as_they_did_through_the_engine()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the handshake loop is Linux only");
        await using var server = TestServer.Start(o => o with { NegotiationTimeout = TimeSpan.FromSeconds(1) });
        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            Assert.Equal(Socks5ReplyCode.ConnectionRefused, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(ClosedPort()))).Code);
        }

        var clock = Stopwatch.StartNew();
        using (var silent = await RawClient.ConnectAsync(server.EndPoint))
        {
            await silent.SendAsync(5);
            Assert.True(await silent.IsClosedByServerAsync(TimeSpan.FromSeconds(10)), "the silent client was not cut");
        }

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"cut after {clock.Elapsed.TotalSeconds:0.00}s, before the 1 s timeout");
        await server.WaitForLineAsync(l => l.Contains("negotiation timeout (1s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logins_that_block_their_thread_do_not_stall_other_sessions_handshakes()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the handshake loop is Linux only");
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var release = new ManualResetEventSlim();
        using var verifier = new BlockingVerifier(release);
        await using var server = TestServer.Start(configure: null, verifier);

        // More blocked logins than the loop has threads (at most four), each blocking the thread it runs on, as a PAM
        // module waiting on a directory would.
        const int Blocked = 6;
        var slow = new List<RawClient>();
        try
        {
            for (int i = 0; i < Blocked; i++)
            {
                var client = await RawClient.ConnectAsync(server.EndPoint);
                slow.Add(client);
                Assert.Equal(2, await client.GreetAsync(AuthMethod.UsernamePassword));
                _ = client.LoginAsync("slow", "pw");
            }

            await verifier.WaitForBlockedAsync(Blocked, Bound);

            // Meanwhile a client with a login that does not block gets through, whole handshake and relay.
            var clock = Stopwatch.StartNew();
            await FastSessionAsync(server.EndPoint, echo.EndPoint).WaitAsync(TimeSpan.FromSeconds(10));
            TestContext.Current.TestOutputHelper?.WriteLine($"the fast session took {clock.Elapsed.TotalMilliseconds:0} ms behind {Blocked} blocked logins");
        }
        finally
        {
            release.Set();
            foreach (var client in slow)
            {
                client.Dispose();
            }
        }
    }

    private static async Task FastSessionAsync(IPEndPoint server, IPEndPoint echo)
    {
        using var fast = await RawClient.ConnectAsync(server);
        Assert.Equal(2, await fast.GreetAsync(AuthMethod.UsernamePassword));
        Assert.True(await fast.LoginAsync("fast", "pw"));
        Assert.Equal(Socks5ReplyCode.Succeeded, (await fast.RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo))).Code);
        await fast.SendAsync(1, 2, 3);
        Assert.Equal([1, 2, 3], await fast.ReadExactlyAsync(3));
    }

    private static IPEndPoint ClosedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)probe.LocalEndPoint!; // bound, never listening: connecting is refused
    }

    /// <summary>"slow" blocks the calling thread until released (synchronously, as a blocking back end would); "fast" is accepted at once.</summary>
    private sealed class BlockingVerifier(ManualResetEventSlim release) : ICredentialVerifier, IDisposable
    {
        private readonly SemaphoreSlim _blocked = new(0);

        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken)
        {
            if (userName == "slow")
            {
                _blocked.Release();
                release.Wait(TimeSpan.FromSeconds(30), CancellationToken.None);
                return ValueTask.FromResult(new CredentialVerdict(false, "test"));
            }

            return ValueTask.FromResult(new CredentialVerdict(true, "test"));
        }

        public void Dispose() => _blocked.Dispose();

        public async Task WaitForBlockedAsync(int count, TimeSpan bound)
        {
            for (int i = 0; i < count; i++)
            {
                Assert.True(await _blocked.WaitAsync(bound), $"only {i} of {count} logins reached the verifier");
            }
        }
    }
}

/// <summary>The handshake loop tests run alone: they count the process's loop continuations and switch the loop off once.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HandshakeLoopCollection
{
    public const string Name = "handshake loop";
}
