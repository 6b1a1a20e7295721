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
                return new SocksPingReply(text, Int("seq"), from, Int("bytes"), line.TryGetInt("ttl", out int ttl) ? ttl : -1, Ms("rtt_ms") ?? TimeSpan.Zero);
            case ProbeWords.Timeout:
                return new SocksProbeTimeout(text, Int("seq"), Int("ttl"), Int("probe"));
            case ProbeWords.Hop when Address("from") is { } from:
                return new SocksTracerouteHop(text, Int("ttl"), Int("probe"), from, Ms("rtt_ms") ?? TimeSpan.Zero, line["kind"] ?? "unknown");
            case ProbeWords.Error when line["seq"] is not null:
                return new SocksPingError(text, Int("seq"), Address("from"), line["kind"] ?? "unknown");
            case ProbeWords.Error:
                return new SocksProbeStopped(text, line["reason"] ?? "stopped by the proxy");
            case ProbeWords.Summary:
                return new SocksProbeSummary(text, Int("sent"), line["received"] is null ? Int("answered") : Int("received"), Int("errors"),
                    Ms("time_ms") ?? TimeSpan.Zero, Int("hops"), line["reached"] == "yes", Ms("rtt_min_ms"), Ms("rtt_avg_ms"), Ms("rtt_max_ms"), Ms("rtt_mdev_ms"));
            default:
                return null;
        }
    }
}
