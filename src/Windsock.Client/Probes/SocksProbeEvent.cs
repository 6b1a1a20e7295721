using System.Net;

namespace Windsock.Client;

/// <summary>
/// One thing a proxy reported during <see cref="SocksClient.PingAsync"/> or <see cref="SocksClient.TracerouteAsync"/>:
/// one line of the PING / TRACEROUTE result text (docs/protocol-extensions.md), typed. Every run starts with
/// <see cref="SocksProbeStarted"/> and, unless the connection broke, ends with a summary.
/// </summary>
public abstract class SocksProbeEvent
{
    // Only this library makes events (internal constructors), each with an object initializer naming every value.
    private protected SocksProbeEvent()
    {
    }

    /// <summary>The line as the proxy sent it, without its LF (empty for <see cref="SocksProbeStarted"/>).</summary>
    public string Line { get; internal init; } = string.Empty;

    /// <inheritdoc/>
    public override string ToString() => Line;
}

/// <summary>The proxy granted the run; it probes <see cref="Target"/> (the address it resolved).</summary>
public sealed class SocksProbeStarted : SocksProbeEvent
{
    internal SocksProbeStarted()
    {
    }

    /// <summary>The address being probed.</summary>
    public IPAddress Target { get; internal init; } = IPAddress.None;
}

/// <summary>Ping: the echo reply to probe <see cref="Sequence"/>.</summary>
public sealed class SocksPingReply : SocksProbeEvent
{
    internal SocksPingReply()
    {
    }

    /// <summary>The probe's number, from 1.</summary>
    public int Sequence { get; internal init; }

    /// <summary>Who replied.</summary>
    public IPAddress From { get; internal init; } = IPAddress.None;

    /// <summary>ICMP bytes received.</summary>
    public int Bytes { get; internal init; }

    /// <summary>The reply's TTL / hop limit; -1 when the proxy could not tell.</summary>
    public int Ttl { get; internal init; }

    /// <summary>The round trip the proxy measured.</summary>
    public TimeSpan RoundTrip { get; internal init; }
}

/// <summary>A probe without an answer in time: ping's <see cref="Sequence"/>, or traceroute's <see cref="Ttl"/> and <see cref="Probe"/> (0 where not applicable).</summary>
public sealed class SocksProbeTimeout : SocksProbeEvent
{
    internal SocksProbeTimeout()
    {
    }

    /// <summary>Ping: the probe's number; 0 for traceroute.</summary>
    public int Sequence { get; internal init; }

    /// <summary>Traceroute: the TTL the probe was sent with; 0 for ping.</summary>
    public int Ttl { get; internal init; }

    /// <summary>Traceroute: the probe's number within its hop; 0 for ping.</summary>
    public int Probe { get; internal init; }
}

/// <summary>Ping: an ICMP error answered probe <see cref="Sequence"/> (a router's host-unreachable, time-exceeded, …).</summary>
public sealed class SocksPingError : SocksProbeEvent
{
    internal SocksPingError()
    {
    }

    /// <summary>The probe's number.</summary>
    public int Sequence { get; internal init; }

    /// <summary>Who sent the error, when known.</summary>
    public IPAddress? From { get; internal init; }

    /// <summary>What it said: <c>host-unreachable</c>, <c>net-unreachable</c>, <c>time-exceeded</c>, … (docs/protocol-extensions.md).</summary>
    public string Kind { get; internal init; } = "unknown";
}

/// <summary>Traceroute: the answer to one probe of hop <see cref="Ttl"/>.</summary>
public sealed class SocksTracerouteHop : SocksProbeEvent
{
    internal SocksTracerouteHop()
    {
    }

    /// <summary>The TTL / hop limit the probe was sent with.</summary>
    public int Ttl { get; internal init; }

    /// <summary>The probe's number within its hop, from 1.</summary>
    public int Probe { get; internal init; }

    /// <summary>Who answered: a router on the way, or the target.</summary>
    public IPAddress From { get; internal init; } = IPAddress.None;

    /// <summary>The round trip the proxy measured.</summary>
    public TimeSpan RoundTrip { get; internal init; }

    /// <summary><c>time-exceeded</c> (a router), <c>echo-reply</c> / <c>port-unreachable</c> (the target), or an unreachable kind.</summary>
    public string Kind { get; internal init; } = "unknown";

    /// <summary>The target itself answered.</summary>
    public bool IsTarget => Kind is "echo-reply" or "port-unreachable";
}

/// <summary>The run ended early, and why (the proxy's limit, a failure on the proxy, its shutdown). A summary still follows.</summary>
public sealed class SocksProbeStopped : SocksProbeEvent
{
    internal SocksProbeStopped()
    {
    }

    /// <summary>The proxy's reason, for a person.</summary>
    public string Reason { get; internal init; } = string.Empty;
}

/// <summary>The last event of a run: what was sent and answered, and for ping the round-trip statistics.</summary>
public sealed class SocksProbeSummary : SocksProbeEvent
{
    internal SocksProbeSummary()
    {
    }

    /// <summary>Probes sent.</summary>
    public int Sent { get; internal init; }

    /// <summary>Probes answered (ping: replies received; traceroute: any answer).</summary>
    public int Answered { get; internal init; }

    /// <summary>Ping: probes answered by an ICMP error.</summary>
    public int Errors { get; internal init; }

    /// <summary>Ping: how long the run took on the proxy.</summary>
    public TimeSpan Elapsed { get; internal init; }

    /// <summary>Traceroute: the hops probed.</summary>
    public int Hops { get; internal init; }

    /// <summary>Traceroute: the target itself answered.</summary>
    public bool Reached { get; internal init; }

    /// <summary>Ping: the shortest round trip; null when nothing was received.</summary>
    public TimeSpan? Minimum { get; internal init; }

    /// <summary>Ping: the mean round trip; null when nothing was received.</summary>
    public TimeSpan? Average { get; internal init; }

    /// <summary>Ping: the longest round trip; null when nothing was received.</summary>
    public TimeSpan? Maximum { get; internal init; }

    /// <summary>Ping: the standard deviation of the round trips (iputils' mdev); null when nothing was received.</summary>
    public TimeSpan? MeanDeviation { get; internal init; }

    /// <summary>Ping: the share of probes without a reply, in percent.</summary>
    public double LossPercent => Sent == 0 ? 0 : 100.0 * (Sent - Answered) / Sent;
}
