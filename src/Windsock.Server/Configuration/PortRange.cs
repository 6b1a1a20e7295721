using System.Globalization;

namespace Windsock.Server.Configuration;

/// <summary>An inclusive range of TCP ports, such as the one a firewall opens for BIND listeners.</summary>
public readonly record struct PortRange(int First, int Last)
{
    public int Count => Last - First + 1;

    public bool Contains(int port) => port >= First && port <= Last;

    public override string ToString() =>
        First == Last ? First.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}
