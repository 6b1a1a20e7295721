using Windsock.Server.Configuration;

namespace Windsock.Server.Udp;

/// <summary>Every port of <c>udp.port_range</c> is taken: the association is refused, the server keeps serving.</summary>
public sealed class UdpPortsExhaustedException : Exception
{
    public UdpPortsExhaustedException(PortRange range)
        : base($"no free UDP port in {range}")
    {
        Range = range;
    }

    public UdpPortsExhaustedException()
    {
    }

    public UdpPortsExhaustedException(string message)
        : base(message)
    {
    }

    public UdpPortsExhaustedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PortRange? Range { get; }
}
