namespace Windsock.Protocol.Probes;

/// <summary>The fixed first words of the PING / TRACEROUTE lines (docs/protocol-extensions.md).</summary>
public static class ProbeWords
{
    /// <summary>Ping: an echo reply.</summary>
    public const string Reply = "reply";

    /// <summary>A probe without an answer in time.</summary>
    public const string Timeout = "timeout";

    /// <summary>Traceroute: the answer to one probe of one hop.</summary>
    public const string Hop = "hop";

    /// <summary>Ping: an ICMP error answered a probe (with <c>seq</c>); either: the run ended early (with <c>reason</c> only).</summary>
    public const string Error = "error";

    /// <summary>The last line: counts and round-trip statistics.</summary>
    public const string Summary = "summary";

    /// <summary>The client's options line, after a request whose RSV is X'01'.</summary>
    public const string Options = "options";
}
