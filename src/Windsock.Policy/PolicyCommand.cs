using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;

namespace Windsock.Policy;

/// <summary>
/// What a request asks the server to do, as rules name it. UDP datagrams are decided as
/// <see cref="UdpAssociate"/> with the datagram's remote party as destination, and the peer that
/// connects to a BIND port as <see cref="Bind"/> with the peer as destination.
/// </summary>
public enum PolicyCommand
{
    Connect,
    Bind,
    UdpAssociate,
    Resolve,
    ResolvePtr,
    Ping,
    Traceroute,
}

public static class PolicyCommands
{
    private static readonly string[] Names = ["connect", "bind", "udp", "resolve", "resolve-ptr", "ping", "traceroute"];

    public static string Name(this PolicyCommand command) => Names[(int)command];

    public static bool TryParse(string text, out PolicyCommand command, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        int index = Array.IndexOf(Names, text);
        if (index < 0)
        {
            command = default;
            error = $"\"{text}\" is not a command; write one of {string.Join(", ", Names)}";
            return false;
        }

        command = (PolicyCommand)index;
        return true;
    }

    public static PolicyCommand? FromSocks5(Socks5Command command) => command switch
    {
        Socks5Command.Connect => PolicyCommand.Connect,
        Socks5Command.Bind => PolicyCommand.Bind,
        Socks5Command.UdpAssociate => PolicyCommand.UdpAssociate,
        Socks5Command.Resolve => PolicyCommand.Resolve,
        Socks5Command.ResolvePtr => PolicyCommand.ResolvePtr,
        Socks5Command.Ping => PolicyCommand.Ping,
        Socks5Command.Traceroute => PolicyCommand.Traceroute,
        _ => null,
    };

    public static PolicyCommand? FromSocks4(Socks4Command command) => command switch
    {
        Socks4Command.Connect => PolicyCommand.Connect,
        Socks4Command.Bind => PolicyCommand.Bind,
        _ => null,
    };
}
