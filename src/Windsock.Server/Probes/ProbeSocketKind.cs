namespace Windsock.Server.Probes;

/// <summary>Which socket sends a probe.</summary>
internal enum ProbeSocketKind
{
    /// <summary>An unprivileged ICMP datagram socket (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6): needs net.ipv4.ping_group_range.</summary>
    IcmpDatagram,

    /// <summary>A raw ICMP socket: needs CAP_NET_RAW.</summary>
    IcmpRaw,

    /// <summary>A UDP socket (traceroute's tracepath-style probes): needs nothing.</summary>
    Udp,
}
