using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Windsock.Protocol;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Limits;

/// <summary>limits.udp_datagrams_per_second: a bucket per association, both directions counted, drops in the end line.</summary>
public sealed class UdpRateLimitTests
{
    /// <summary>Completes when the relay's debug line for a rate-limited drop is written.</summary>
    private sealed class DropWatch : ILogger
    {
        public TaskCompletionSource<string> Dropped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string text = formatter(state, exception);
            if (text.Contains("(rate_limited)", StringComparison.Ordinal))
            {
                Dropped.TrySetResult(text);
            }
        }
    }

    [Fact]
    public async Task Datagrams_past_the_rate_are_dropped_and_counted_as_rate_limited()
    {
        // The clock stands still: the bucket of 2 never refills during the test.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var watch = new DropWatch();
        await using var server = TestServer.Start(o => o with { Limits = o.Limits with { UdpDatagramsPerSecond = 2 } }, time: time, logger: watch);
        await using var echo = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            // Out and back: both tokens.
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "first");
            await client.SendAsync(SocksEndpoint.FromEndPoint(target), "second");
            var line = await watch.Dropped.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Contains("limit udp_datagrams_per_second=2 reached", line, StringComparison.Ordinal);
        }

        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("command=udp-associate", StringComparison.Ordinal));
        Assert.Contains("drops=\"rate_limited=1\"", end, StringComparison.Ordinal);
        Assert.Single(echo.Received);
    }
}
