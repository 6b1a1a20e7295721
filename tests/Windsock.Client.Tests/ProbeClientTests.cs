using System.Net;
using System.Text;
using Windsock.Client.Tests.Support;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>PingAsync / TracerouteAsync against a scripted proxy: the bytes of the request and options line, typed events, the end byte.</summary>
public class ProbeClientTests
{
    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Fact]
    public async Task Ping_sends_rsv_1_and_its_options_then_yields_each_line_typed()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop("127.0.0.1", peer.EndPoint.Port));
        var run = Task.Run(async () =>
        {
            var seen = new List<SocksProbeEvent>();
            await foreach (var e in client.PingAsync("10.1.2.3", new SocksPingOptions { Count = 2, Interval = TimeSpan.FromMilliseconds(200) }, cts.Token))
            {
                seen.Add(e);
            }

            return seen;
        });

        await peer.ExpectAsync([5, 2, 0x00, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 0x80, 0x01, 1, 10, 1, 2, 3, 0, 0, .. Ascii("options count=2 interval=0.2\n")], cts.Token);
        await peer.SendAsync([5, 0, 0, 1, 10, 1, 2, 3, 0, 0, .. Ascii("reply seq=1 from=10.1.2.3 bytes=64 ttl=63 rtt_ms=0.5\ntimeout seq=2\nfuture word=1\n"
            + "summary sent=2 received=1 errors=0 loss_pct=50 time_ms=1200 rtt_min_ms=0.5 rtt_avg_ms=0.5 rtt_max_ms=0.5 rtt_mdev_ms=0\n")], cts.Token);

        var events = await run;
        Assert.Collection(events,
            e => Assert.Equal(IPAddress.Parse("10.1.2.3"), Assert.IsType<SocksProbeStarted>(e).Target),
            e =>
            {
                var reply = Assert.IsType<SocksPingReply>(e);
                Assert.Equal((1, IPAddress.Parse("10.1.2.3"), 64, 63, TimeSpan.FromMilliseconds(0.5)), (reply.Sequence, reply.From, reply.Bytes, reply.Ttl, reply.RoundTrip));
            },
            e => Assert.Equal(2, Assert.IsType<SocksProbeTimeout>(e).Sequence),
            e =>
            {
                var summary = Assert.IsType<SocksProbeSummary>(e);
                Assert.Equal((2, 1, 50.0, TimeSpan.FromMilliseconds(0.5)), (summary.Sent, summary.Answered, summary.LossPercent, summary.Average!.Value));
            });
    }

    [Fact]
    public async Task Cancelling_a_running_ping_sends_the_end_byte_and_still_yields_the_summary()
    {
        using var cts = Bounded.Cts();
        using var stop = new CancellationTokenSource();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop("127.0.0.1", peer.EndPoint.Port));
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Task.Run(async () =>
        {
            var seen = new List<SocksProbeEvent>();
            await foreach (var e in client.PingAsync("::1", null, stop.Token))
            {
                seen.Add(e);
                if (e is SocksPingReply)
                {
                    first.TrySetResult();
                }
            }

            return seen;
        });

        await peer.ExpectAsync([5, 2, 0x00, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 0x80, 0x01, 4, .. IPAddress.IPv6Loopback.GetAddressBytes(), 0, 0, .. Ascii("options\n")], cts.Token);
        await peer.SendAsync([5, 0, 0, 4, .. IPAddress.IPv6Loopback.GetAddressBytes(), 0, 0, .. Ascii("reply seq=1 from=::1 bytes=64 ttl=64 rtt_ms=0.1\n")], cts.Token);
        await first.Task.WaitAsync(cts.Token);
        await stop.CancelAsync();
        await peer.ExpectAsync([0], cts.Token);
        await peer.SendAsync(Ascii("summary sent=1 received=1 errors=0 loss_pct=0 time_ms=10 rtt_min_ms=0.1 rtt_avg_ms=0.1 rtt_max_ms=0.1 rtt_mdev_ms=0\n"), cts.Token);

        var events = await run.WaitAsync(cts.Token);
        Assert.IsType<SocksProbeSummary>(events[^1]);
    }

    [Fact]
    public async Task Traceroute_sends_its_options_and_yields_hops()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop("127.0.0.1", peer.EndPoint.Port));
        var run = Task.Run(async () =>
        {
            var seen = new List<SocksProbeEvent>();
            await foreach (var e in client.TracerouteAsync("target.example", new SocksTracerouteOptions { MaxHops = 4, ProbesPerHop = 1, Probe = SocksTraceProbe.Icmp }, cts.Token))
            {
                seen.Add(e);
            }

            return seen;
        });

        await peer.ExpectAsync([5, 2, 0x00, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 0x81, 0x01, 3, 14, .. Ascii("target.example"), 0, 0, .. Ascii("options max_hops=4 probes=1 probe=icmp\n")], cts.Token);
        await peer.SendAsync([5, 0, 0, 1, 10, 0, 0, 9, 0, 0, .. Ascii("hop ttl=1 probe=1 from=10.0.0.1 rtt_ms=0.2 kind=time-exceeded\nhop ttl=2 probe=1 from=10.0.0.9 rtt_ms=0.4 kind=echo-reply\nsummary sent=2 answered=2 hops=2 reached=yes\n")], cts.Token);

        var events = await run;
        var hops = events.OfType<SocksTracerouteHop>().ToList();
        Assert.Equal([(1, "10.0.0.1", false), (2, "10.0.0.9", true)], hops.Select(h => (h.Ttl, h.From.ToString(), h.IsTarget)));
        var summary = Assert.IsType<SocksProbeSummary>(events[^1]);
        Assert.True(summary.Reached && summary.Hops == 2);
    }
}
