namespace Windsock.Protocol.Probes;

/// <summary>How traceroute probes: UDP datagrams to high ports (tracepath-style, no privilege) or ICMP echo requests.</summary>
public enum TraceProbe
{
    Udp,
    Icmp,
}
