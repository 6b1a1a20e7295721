using System.Text;
using Windsock.Protocol.Probes;
using Xunit;

namespace Windsock.Protocol.Tests;

public class ProbeOptionsTests
{
    private static ProbeLine Line(string text)
    {
        Assert.True(ProbeLine.TryParse(Encoding.ASCII.GetBytes(text + "\n"), out var line).IsDone, text);
        return line!;
    }

    [Fact]
    public void Defaults_send_an_empty_options_line()
    {
        Assert.Equal("options\n", ProbeOptions.Defaults.ToLine(traceroute: false).ToString());
        Assert.Equal("options\n", ProbeOptions.Defaults.ToLine(traceroute: true).ToString());
        Assert.Equal(TimeSpan.FromSeconds(2), ProbeOptions.Defaults.EffectiveTimeout(traceroute: false));
        Assert.Equal(TimeSpan.FromSeconds(3), ProbeOptions.Defaults.EffectiveTimeout(traceroute: true));
    }

    [Fact]
    public void Ping_options_round_trip()
    {
        var options = new ProbeOptions { Count = 3, Interval = TimeSpan.FromMilliseconds(200), Size = 100, Timeout = TimeSpan.FromSeconds(1), Family = 6 };
        var line = options.ToLine(traceroute: false);
        Assert.Equal("options count=3 interval=0.2 size=100 timeout=1 family=6\n", line.ToString());
        var parsed = ProbeOptions.TryParse(Line(line.ToString().TrimEnd('\n')), traceroute: false, out var problem);
        Assert.Null(problem);
        Assert.Equal(options, parsed);
    }

    [Fact]
    public void Traceroute_options_round_trip()
    {
        var options = new ProbeOptions { MaxHops = 5, Probes = 1, Probe = TraceProbe.Icmp, Port = 40000, Timeout = TimeSpan.FromSeconds(0.5), Family = 4 };
        var line = options.ToLine(traceroute: true);
        Assert.Equal("options max_hops=5 probes=1 probe=icmp port=40000 timeout=0.5 family=4\n", line.ToString());
        Assert.Equal(options, ProbeOptions.TryParse(Line(line.ToString().TrimEnd('\n')), traceroute: true, out _));
    }

    [Theory]
    [InlineData("options max_hops=3", false, "unknown option 'max_hops' for ping")]
    [InlineData("options count=3", true, "unknown option 'count' for traceroute")]
    [InlineData("options colour=red", false, "unknown option 'colour' for ping")]
    [InlineData("options count=-1", false, "count is a whole number from 0 to 1000000, not '-1'")]
    [InlineData("options count=1.5", false, "count is a whole number from 0 to 1000000, not '1.5'")]
    [InlineData("options interval=0.0001", false, "interval is seconds from 0.001 to 3600, not '0.0001'")]
    [InlineData("options interval=1e3", false, "interval is seconds from 0.001 to 3600, not '1e3'")]
    [InlineData("options interval=.5", false, "interval is seconds from 0.001 to 3600, not '.5'")]
    [InlineData("options size=65001", false, "size is a whole number from 0 to 65000, not '65001'")]
    [InlineData("options family=5", false, "family is 4 or 6")]
    [InlineData("options probe=tcp", true, "probe is udp or icmp")]
    [InlineData("options max_hops=0", true, "max_hops is a whole number from 1 to 255, not '0'")]
    [InlineData("options probes=11", true, "probes is a whole number from 1 to 10, not '11'")]
    [InlineData("reply seq=1", false, "the options line starts with 'reply', not 'options'")]
    public void Refuses_with_a_reason(string text, bool traceroute, string reason)
    {
        Assert.Null(ProbeOptions.TryParse(Line(text), traceroute, out var problem));
        Assert.Equal(reason, problem);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x01)]
    public void The_request_keeps_rsv_for_the_options_flag(byte rsv)
    {
        byte[] request = [0x05, 0x80, rsv, 0x01, 127, 0, 0, 1, 0, 0];
        Assert.True(Socks5.Socks5Request.TryParse(request, out var parsed).IsDone);
        Assert.Equal(rsv, parsed.Reserved);
        var written = new byte[request.Length];
        parsed.Write(written);
        Assert.Equal(request, written);
    }
}
