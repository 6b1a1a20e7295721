namespace Windsock.Protocol.Probes;

/// <summary>
/// What answered a probe, as the <c>kind</c> field names it: the echo reply or port unreachable that
/// means the target answered, a router's Time Exceeded, or a Destination Unreachable that ends the path.
/// Maps ICMP (RFC 792) and ICMPv6 (RFC 4443) types and codes to one vocabulary for both families.
/// </summary>
public static class ProbeAnswer
{
    public const string EchoReply = "echo-reply";
    public const string TimeExceeded = "time-exceeded";
    public const string PortUnreachable = "port-unreachable";
    public const string NetUnreachable = "net-unreachable";
    public const string HostUnreachable = "host-unreachable";
    public const string ProtocolUnreachable = "protocol-unreachable";
    public const string Prohibited = "prohibited";
    public const string FragmentationNeeded = "fragmentation-needed";
    public const string PacketTooBig = "packet-too-big";

    /// <summary>The kind of an ICMP (<paramref name="ipv6"/> false) or ICMPv6 message.</summary>
    public static string Of(bool ipv6, byte type, byte code) => ipv6 ? OfIcmpV6(type, code) : OfIcmpV4(type, code);

    /// <summary>True for the kinds after which a traceroute stops: the target answered, or the path ends here.</summary>
    public static bool EndsPath(string kind) => kind is not TimeExceeded;

    /// <summary>True when the target itself answered (echo reply to an ICMP probe, port unreachable to a UDP one).</summary>
    public static bool IsTarget(string kind) => kind is EchoReply or PortUnreachable;

    private static string OfIcmpV4(byte type, byte code) => (type, code) switch
    {
        (0, _) => EchoReply,
        (11, _) => TimeExceeded,
        (3, 0) or (3, 6) => NetUnreachable,
        (3, 1) or (3, 7) => HostUnreachable,
        (3, 2) => ProtocolUnreachable,
        (3, 3) => PortUnreachable,
        (3, 4) => FragmentationNeeded,
        (3, 9) or (3, 10) or (3, 13) => Prohibited,
        _ => Other(type, code),
    };

    private static string OfIcmpV6(byte type, byte code) => (type, code) switch
    {
        (129, _) => EchoReply,
        (3, _) => TimeExceeded,
        (1, 0) => NetUnreachable,
        (1, 1) or (1, 5) or (1, 6) => Prohibited,
        (1, 3) => HostUnreachable,
        (1, 4) => PortUnreachable,
        (2, _) => PacketTooBig,
        _ => Other(type, code),
    };

    private static string Other(byte type, byte code) => $"icmp-{type}-{code}";
}
