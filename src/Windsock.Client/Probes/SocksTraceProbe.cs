namespace Windsock.Client;

/// <summary>What the proxy sends as traceroute probes.</summary>
public enum SocksTraceProbe
{
    /// <summary>UDP datagrams to high ports, as tracepath does (the proxy needs no privilege for them).</summary>
    Udp,

    /// <summary>ICMP echo requests, as <c>traceroute -I</c> does.</summary>
    Icmp,
}
