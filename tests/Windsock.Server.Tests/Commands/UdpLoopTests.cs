using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Server.Loops;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Commands;

/// <summary>
/// The UDP associations' datagram loop (Linux): datagrams to addresses are relayed on the loop's thread, names
/// go through the async path and back, the async receive loops still serve when the loop is off, and one
/// association's end or fault leaves the others relaying.
/// </summary>
[Collection(UdpLoopCounting.Name)]
public class UdpLoopTests
{
    private const int RoundTrips = 50;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static bool EndLine(string line) => line.Contains(" end ", StringComparison.Ordinal) && line.Contains("command=udp-associate", StringComparison.Ordinal);

    [Fact]
    public async Task Datagrams_to_an_address_are_relayed_on_the_loop_thread()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the datagram loop is Linux's");
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        long handled = DatagramLoop.Handled, handedOff = DatagramLoop.HandedOff;
        using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            var target = echo.EndPoint(IPAddress.Loopback);
            for (int i = 0; i < RoundTrips; i++)
            {
                await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, $"datagram {i}");
            }
        }

        // Each round trip is two datagrams through the loop: the client's up, the echo's answer down.
        Assert.True(DatagramLoop.Handled - handled >= 2 * RoundTrips, $"handled on the loop: {DatagramLoop.Handled - handled}");
        Assert.Equal(handedOff, DatagramLoop.HandedOff);
        var end = await server.WaitForLineAsync(EndLine);
        Assert.Contains($"datagrams_up={RoundTrips} datagrams_down={RoundTrips} dropped=0", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_named_destination_is_handed_to_the_async_path_and_the_loop_resumes_after_it()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the datagram loop is Linux's");
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback, IPAddress.IPv6Loopback);
        using var client = await UdpAssociateClient.OpenAsync(server.EndPoint);
        long handedOff = DatagramLoop.HandedOff;
        await client.SendAsync(SocksEndpoint.FromHost("localhost", (ushort)echo.Port), "by name");
        Assert.Equal("by name", (await client.ReceiveAsync()).Payload);
        Assert.True(DatagramLoop.HandedOff > handedOff, "the datagram naming a host was not handed off");

        // The association's sockets were paused for the hand-off; the next datagrams are the loop's again.
        long handled = DatagramLoop.Handled;
        var target = echo.EndPoint(IPAddress.Loopback);
        await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "by address");
        Assert.True(DatagramLoop.Handled - handled >= 2, $"handled on the loop after the hand-off: {DatagramLoop.Handled - handled}");
    }

    [Fact]
    public async Task Without_the_loop_associations_relay_with_async_receives_and_the_same_counts()
    {
        DatagramLoop.Disabled = true;
        try
        {
            await using var server = TestServer.Start();
            await using var echo = new UdpEcho(IPAddress.Loopback, IPAddress.IPv6Loopback);
            long handled = DatagramLoop.Handled, handedOff = DatagramLoop.HandedOff;
            using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
            {
                var target = echo.EndPoint(IPAddress.Loopback);
                for (int i = 0; i < RoundTrips; i++)
                {
                    await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, $"datagram {i}");
                }

                await client.SendAsync(SocksEndpoint.FromHost("localhost", (ushort)echo.Port), "by name");
                Assert.Equal("by name", (await client.ReceiveAsync()).Payload);
                await client.SendAsync(SocksEndpoint.FromEndPoint(target), "a fragment", fragment: 1);
                await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "after the fragment");
            }

            Assert.Equal(handled, DatagramLoop.Handled);
            Assert.Equal(handedOff, DatagramLoop.HandedOff);
            var end = await server.WaitForLineAsync(EndLine);
            Assert.Contains($"datagrams_up={RoundTrips + 2} datagrams_down={RoundTrips + 2} dropped=1", end, StringComparison.Ordinal);
        }
        finally
        {
            DatagramLoop.Disabled = false;
        }
    }

    [Fact]
    public async Task An_association_whose_client_vanishes_ends_alone_while_another_keeps_relaying()
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        using var steady = await UdpAssociateClient.OpenAsync(server.EndPoint);
        var vanishing = await UdpAssociateClient.OpenAsync(server.EndPoint);
        await steady.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "steady 0");
        await vanishing.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "vanishing 0");

        // Datagrams in flight to the vanishing client when it goes: its answers find no one; the association
        // ends with its control connection, and the other's round trips go on.
        for (int i = 0; i < 20; i++)
        {
            await vanishing.SendAsync(SocksEndpoint.FromEndPoint(target), $"left behind {i}");
        }

        vanishing.Control.Socket.LingerState = new LingerOption(true, 0);
        vanishing.Dispose();
        for (int i = 1; i <= RoundTrips; i++)
        {
            await steady.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, $"steady {i}");
        }

        var end = await server.WaitForLineAsync(EndLine);
        Assert.Contains("reason=\"control connection", end, StringComparison.Ordinal);
        await steady.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "steady after the other's end");
    }

    [Fact]
    public async Task A_target_that_throws_is_failed_alone_and_the_loop_goes_on_relaying()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the datagram loop is Linux's");
        Assert.True(DatagramLoop.IsAvailable);
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        using var broken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        broken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var thrower = new ThrowingTarget(broken);
        thrower.Id = DatagramLoop.Register(broken, thrower);
        Assert.NotEqual(0UL, thrower.Id);
        long failures = DatagramLoop.TargetFailures;

        // A real datagram makes the socket readable; the target throws on the loop's thread.
        using (var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            await sender.SendToAsync(new byte[] { 1, 2, 3 }, SocketFlags.None, broken.LocalEndPoint!);
        }

        var failed = await thrower.Failed.Task.WaitAsync(Bound);
        Assert.IsType<InvalidOperationException>(failed);
        Assert.Equal(failures + 1, DatagramLoop.TargetFailures);

        using var client = await UdpAssociateClient.OpenAsync(server.EndPoint);
        var target = echo.EndPoint(IPAddress.Loopback);
        long handled = DatagramLoop.Handled;
        await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "after a fault on the loop");
        Assert.True(DatagramLoop.Handled - handled >= 2, "the loop no longer handles datagrams");
    }

    [Fact]
    public async Task With_debug_logging_datagrams_take_the_async_path_and_drops_are_logged_with_their_reason()
    {
        var logger = new DebugLogger();
        await using var server = TestServer.Start(logger: logger);
        await using var echo = new UdpEcho(IPAddress.Loopback);
        using var client = await UdpAssociateClient.OpenAsync(server.EndPoint);
        var target = echo.EndPoint(IPAddress.Loopback);
        long handled = DatagramLoop.Handled;
        await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "while logging");
        await client.SendAsync(SocksEndpoint.FromEndPoint(target), "a fragment", fragment: 1);

        // In order: by the time the next answer is back, the fragment before it was dropped and logged.
        await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "after the fragment");
        Assert.Contains(logger.Messages, m => m.Contains("dropped (fragmented)", StringComparison.Ordinal));

        // A logger may wait (a full console queue): nothing that logs runs on the loop's thread.
        Assert.Equal(handled, DatagramLoop.Handled);
    }

    /// <summary>Keeps every message from debug level up, as `log_level = "debug"` would write them.</summary>
    private sealed class DebugLogger : Microsoft.Extensions.Logging.ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _messages = new();

        public IReadOnlyCollection<string> Messages => _messages;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Debug;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _messages.Enqueue(formatter(state, exception));
    }

    /// <summary>A loop target with a bug: throws on every report; its failure takes it off the loop, as an association's does.</summary>
    private sealed class ThrowingTarget(Socket socket) : IDatagramReadable
    {
        public ulong Id { get; set; }

        public TaskCompletionSource<Exception> Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnReadable(byte[] buffer) => throw new InvalidOperationException("a bug in one target");

        public void Fail(Exception error)
        {
            DatagramLoop.Unregister(socket, Id);
            Failed.TrySetResult(error);
        }
    }
}

/// <summary>The loop tests run alone: they read the process's loop counters and switch the loop off once.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class UdpLoopCounting
{
    public const string Name = "udp loop counting";
}
