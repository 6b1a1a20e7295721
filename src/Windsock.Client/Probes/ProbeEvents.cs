using System.Net;
using Windsock.Protocol.Probes;

namespace Windsock.Client;

/// <summary>Turns a parsed result line into its typed event; null for words and shapes this version does not know (skipped, as the protocol says).</summary>
internal static class ProbeEvents
{
    public static SocksProbeEvent? From(ProbeLine line)
    {
        string text = line.ToString().TrimEnd('\n');
        int Int(string key) => line.TryGetInt(key, out int v) ? v : 0;
        TimeSpan? Ms(string key) => line.TryGetNumber(key, out double v) ? TimeSpan.FromMilliseconds(v) : null;
        IPAddress? Address(string key) => IPAddress.TryParse(line[key] ?? string.Empty, out var a) ? a : null;
        switch (line.Word)
        {
            case ProbeWords.Reply when Address("from") is { } from:
                return new SocksPingReply { Line = text, Sequence = Int("seq"), From = from, Bytes = Int("bytes"), Ttl = line.TryGetInt("ttl", out int ttl) ? ttl : -1, RoundTrip = Ms("rtt_ms") ?? TimeSpan.Zero };
            case ProbeWords.Timeout:
                return new SocksProbeTimeout { Line = text, Sequence = Int("seq"), Ttl = Int("ttl"), Probe = Int("probe") };
            case ProbeWords.Hop when Address("from") is { } from:
                return new SocksTracerouteHop { Line = text, Ttl = Int("ttl"), Probe = Int("probe"), From = from, RoundTrip = Ms("rtt_ms") ?? TimeSpan.Zero, Kind = line["kind"] ?? "unknown" };
            case ProbeWords.Error when line["seq"] is not null:
                return new SocksPingError { Line = text, Sequence = Int("seq"), From = Address("from"), Kind = line["kind"] ?? "unknown" };
            case ProbeWords.Error:
                return new SocksProbeStopped { Line = text, Reason = line["reason"] ?? "stopped by the proxy" };
            case ProbeWords.Summary:
                return new SocksProbeSummary
                {
                    Line = text,
                    Sent = Int("sent"),
                    Answered = line["received"] is null ? Int("answered") : Int("received"),
                    Errors = Int("errors"),
                    Elapsed = Ms("time_ms") ?? TimeSpan.Zero,
                    Hops = Int("hops"),
                    Reached = line["reached"] == "yes",
                    Minimum = Ms("rtt_min_ms"),
                    Average = Ms("rtt_avg_ms"),
                    Maximum = Ms("rtt_max_ms"),
                    MeanDeviation = Ms("rtt_mdev_ms"),
                };
            default:
                return null;
        }
    }
}
