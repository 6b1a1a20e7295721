using Windsock.Protocol.Probes;

namespace Windsock.Server.Probes;

/// <summary>What one run sent and got back, for the summary line and the request log.</summary>
internal sealed class ProbeTally
{
    private readonly List<double> _rtts = [];

    public int Sent { get; private set; }

    public int Answered => _rtts.Count;

    /// <summary>Ping: probes answered by an ICMP error instead of a reply.</summary>
    public int Errors { get; private set; }

    /// <summary>Traceroute: hops probed; whether the target itself answered.</summary>
    public int Hops { get; set; }

    public bool Reached { get; set; }

    /// <summary>Why the run ended early (a limit, a socket failure); null when it ran its course or was stopped.</summary>
    public string? StoppedBecause { get; set; }

    public void CountSent() => Sent++;

    public void CountError() => Errors++;

    public void CountAnswer(double rttMs) => _rtts.Add(rttMs);

    public double Min => _rtts.Count == 0 ? 0 : _rtts.Min();

    public double Max => _rtts.Count == 0 ? 0 : _rtts.Max();

    public double Average => _rtts.Count == 0 ? 0 : _rtts.Average();

    /// <summary>iputils' mdev: the standard deviation, sqrt(mean(x²) − mean(x)²).</summary>
    public double MeanDeviation => _rtts.Count == 0 ? 0 : Math.Sqrt(Math.Max(0, _rtts.Average(r => r * r) - (Average * Average)));

    /// <summary>The rtt part of a request-log reason: "rtt min/avg/max 0.04/0.05/0.06 ms".</summary>
    public string Describe() =>
        $"sent {Sent}, answered {Answered}" + (Answered == 0 ? string.Empty : $", rtt min/avg/max {ProbeLine.Number(Min)}/{ProbeLine.Number(Average)}/{ProbeLine.Number(Max)} ms");

    public ProbeLine PingSummary(TimeSpan elapsed)
    {
        double loss = Sent == 0 ? 0 : 100.0 * (Sent - Answered) / Sent;
        var fields = new List<KeyValuePair<string, string>>
        {
            new("sent", Sent.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("received", Answered.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("errors", Errors.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("loss_pct", ProbeLine.Number(loss)),
            new("time_ms", ((long)elapsed.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (Answered > 0)
        {
            fields.Add(new("rtt_min_ms", ProbeLine.Number(Min)));
            fields.Add(new("rtt_avg_ms", ProbeLine.Number(Average)));
            fields.Add(new("rtt_max_ms", ProbeLine.Number(Max)));
            fields.Add(new("rtt_mdev_ms", ProbeLine.Number(MeanDeviation)));
        }

        return new ProbeLine(ProbeWords.Summary, [.. fields]);
    }

    public ProbeLine TraceSummary() => new(ProbeWords.Summary,
        new("sent", Sent.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("answered", Answered.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("hops", Hops.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("reached", Reached ? "yes" : "no"));
}
