using System.Net.Sockets;
using Windsock.Protocol.Probes;
using Windsock.Server.Configuration;
using Windsock.Server.Probes;
using Xunit;

namespace Windsock.Server.Tests.Probes;

/// <summary>The probe engine's pure parts: ICMP echo bytes, the answer vocabulary, the tally, the [ping] section, a real socket pair.</summary>
public class ProbePartsTests
{
    [Fact]
    public void An_ipv4_echo_request_has_the_rfc_792_layout_and_a_valid_checksum()
    {
        var buffer = new byte[64];
        int length = IcmpEcho.WriteRequest(buffer, ipv6: false, identifier: 0x1234, sequence: 7, dataLength: 4);
        Assert.Equal(12, length);
        Assert.Equal(new byte[] { 8, 0 }, buffer[..2]);
        Assert.Equal(new byte[] { 0x12, 0x34, 0x00, 0x07, 0, 1, 2, 3 }, buffer[4..12]);
        // A message with its own checksum in place sums to zero (RFC 1071).
        Assert.Equal(0, IcmpEcho.Checksum(buffer.AsSpan(0, length)));
        Assert.True(IcmpEcho.TryReadQuotedRequest(buffer.AsSpan(0, length), ipv6: false, out ushort id, out ushort seq) && id == 0x1234 && seq == 7);
        Assert.False(IcmpEcho.TryReadReply(buffer.AsSpan(0, length), ipv6: false, out _, out _));
    }

    [Fact]
    public void An_ipv6_echo_request_leaves_the_checksum_to_the_kernel()
    {
        var buffer = new byte[64];
        IcmpEcho.WriteRequest(buffer, ipv6: true, identifier: 1, sequence: 2, dataLength: 0);
        Assert.Equal(new byte[] { 128, 0, 0, 0, 0, 1, 0, 2 }, buffer[..8]);
        byte[] reply = [129, 0, 0xAB, 0xCD, 0, 1, 0, 2];
        Assert.True(IcmpEcho.TryReadReply(reply, ipv6: true, out ushort id, out ushort seq) && id == 1 && seq == 2);
    }

    [Theory]
    [InlineData(false, 11, 0, "time-exceeded")]
    [InlineData(false, 3, 1, "host-unreachable")]
    [InlineData(false, 3, 0, "net-unreachable")]
    [InlineData(false, 3, 3, "port-unreachable")]
    [InlineData(false, 3, 13, "prohibited")]
    [InlineData(false, 0, 0, "echo-reply")]
    [InlineData(false, 5, 1, "icmp-5-1")]
    [InlineData(true, 3, 0, "time-exceeded")]
    [InlineData(true, 1, 0, "net-unreachable")]
    [InlineData(true, 1, 3, "host-unreachable")]
    [InlineData(true, 1, 4, "port-unreachable")]
    [InlineData(true, 1, 1, "prohibited")]
    [InlineData(true, 2, 0, "packet-too-big")]
    [InlineData(true, 129, 0, "echo-reply")]
    public void Icmp_types_and_codes_have_one_vocabulary(bool ipv6, byte type, byte code, string kind)
    {
        Assert.Equal(kind, ProbeAnswer.Of(ipv6, type, code));
        Assert.Equal(kind != "time-exceeded", ProbeAnswer.EndsPath(kind));
    }

    [Fact]
    public void The_summary_has_iputils_statistics()
    {
        var tally = new ProbeTally();
        foreach (double rtt in (double[])[1, 2, 3])
        {
            tally.CountSent();
            tally.CountAnswer(rtt);
        }

        tally.CountSent();
        Assert.Equal(
            "summary sent=4 received=3 errors=0 loss_pct=25 time_ms=3000 rtt_min_ms=1 rtt_avg_ms=2 rtt_max_ms=3 rtt_mdev_ms=0.816\n",
            tally.PingSummary(TimeSpan.FromSeconds(3)).ToString());
        Assert.Equal("sent 4, answered 3, rtt min/avg/max 1/2/3 ms", tally.Describe());
        Assert.Equal("summary sent=0 received=0 errors=0 loss_pct=0 time_ms=0\n", new ProbeTally().PingSummary(TimeSpan.Zero).ToString());
    }

    [Fact]
    public void The_ping_section_reads_its_limits_and_refuses_values_out_of_range()
    {
        var options = ConfigLoader.Parse("[ping]\nmax_rate = 5\nmax_count = 20\nmax_sessions_per_user = 2\nmax_size = 100\n", "t.toml");
        Assert.Equal(new PingOptions { MaxRate = 5, MaxCount = 20, MaxSessionsPerUser = 2, MaxSize = 100 }, options.Ping);
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[ping]\nmax_rate = 0\n", "t.toml"));
        Assert.Equal(("t.toml", 2), (error.FileName, error.Line));
        Assert.Equal("write a number from 1 to 1000", error.Fix);
        Assert.Contains("ping.max_rate is 0, outside 1..1000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sessions_per_user_are_counted_until_their_leases_end()
    {
        string who = $"test-{Guid.NewGuid()}";
        var first = ProbeSessions.TryEnter(who, 2);
        var second = ProbeSessions.TryEnter(who, 2);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(ProbeSessions.TryEnter(who, 2));
        first!.Dispose();
        first.Dispose();
        Assert.Equal(1, ProbeSessions.Count(who));
        using var third = ProbeSessions.TryEnter(who, 2);
        Assert.NotNull(third);
        second!.Dispose();
    }

    [Fact]
    public void A_udp_probe_to_a_closed_loopback_port_comes_back_as_port_unreachable_from_the_error_queue()
    {
        using var probe = ProbeSocket.Open(AddressFamily.InterNetwork, ProbeSocketKind.Udp);
        // A port nobody listens on: bind one, note it, close it.
        int port;
        using (var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            taken.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            port = ((System.Net.IPEndPoint)taken.LocalEndPoint!).Port;
        }

        probe.SetHopLimit(5);
        Assert.Equal(SocketError.Success, probe.Send(new byte[8], new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port)));
        Assert.True(probe.Wait(TimeSpan.FromSeconds(5)), "no answer within 5 s");
        var buffer = new byte[2048];
        Assert.True(probe.TryReceive(buffer, out var got));
        Assert.True(got.IsError);
        Assert.Equal(System.Net.IPAddress.Loopback, got.From);
        Assert.Equal(port, got.OriginalPort);
        Assert.Equal("port-unreachable", ProbeAnswer.Of(false, got.IcmpType, got.IcmpCode));
    }
}
