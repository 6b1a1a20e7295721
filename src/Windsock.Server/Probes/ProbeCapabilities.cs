using System.Net.Sockets;

namespace Windsock.Server.Probes;

/// <summary>
/// Which probe sockets this process may open, per family: ICMP datagram sockets (net.ipv4.ping_group_range,
/// which covers IPv6 too), raw sockets (CAP_NET_RAW), and UDP (always). Asked at start for the log, and per
/// request (privileges and the sysctl may change while the server runs).
/// </summary>
public static class ProbeCapabilities
{
    private const string GroupRangeFile = "/proc/sys/net/ipv4/ping_group_range";

    /// <summary>Opens the best ICMP socket for <paramref name="family"/>: datagram, else raw; null and why not when neither.</summary>
    internal static ProbeSocket? OpenIcmp(AddressFamily family, out string? problem)
    {
        problem = null;
        foreach (var kind in (ProbeSocketKind[])[ProbeSocketKind.IcmpDatagram, ProbeSocketKind.IcmpRaw])
        {
            try
            {
                return ProbeSocket.Open(family, kind);
            }
            catch (SocketException)
            {
                // Refused (EACCES for datagram sockets outside ping_group_range, EPERM for raw without CAP_NET_RAW): try the next.
            }
        }

        problem = $"ICMP probes are not available to the server: {Enable()}";
        return null;
    }

    /// <summary>The lines the server logs at start.</summary>
    public static IEnumerable<string> Describe()
    {
        var found = new List<string>();
        foreach (var (family, name) in (ReadOnlySpan<(AddressFamily, string)>)[(AddressFamily.InterNetwork, "IPv4"), (AddressFamily.InterNetworkV6, "IPv6")])
        {
            var kinds = new List<string>();
            foreach (var kind in (ProbeSocketKind[])[ProbeSocketKind.IcmpDatagram, ProbeSocketKind.IcmpRaw])
            {
                try
                {
                    using var socket = ProbeSocket.Open(family, kind);
                    kinds.Add(kind == ProbeSocketKind.IcmpDatagram ? "ICMP datagram sockets" : "raw ICMP sockets");
                }
                catch (SocketException)
                {
                }
            }

            found.Add(kinds.Count > 0
                ? $"ping and traceroute over {name}: available (ICMP through {kinds[0]}; traceroute UDP probes need no privilege)"
                : $"ping over {name}: unavailable ({Enable()}); traceroute over {name}: UDP probes only");
        }

        return found;
    }

    /// <summary>What would enable ICMP: the exact sysctl for this process's group, or the capability.</summary>
    private static string Enable()
    {
        string range = "unknown";
        try
        {
            range = File.ReadAllText(GroupRangeFile).Trim().Replace('\t', ' ');
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        string group = Gid() ?? "GID";
        return $"net.ipv4.ping_group_range is \"{range}\", which does not contain the server's group {group}; run sysctl -w net.ipv4.ping_group_range=\"{group} {group}\", "
            + "or give the server CAP_NET_RAW (systemd: AmbientCapabilities=CAP_NET_RAW)";
    }

    /// <summary>The effective group id, from /proc/self/status ("Gid: real effective saved fs").</summary>
    private static string? Gid()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Gid:", StringComparison.Ordinal));
            var parts = line?.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return parts is { Length: >= 3 } ? parts[2] : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
