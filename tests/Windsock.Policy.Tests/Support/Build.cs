using System.Net;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;

namespace Windsock.Policy.Tests.Support;

/// <summary>Compact rule and request builders: conditions as the comma-separated text forms.</summary>
public static class Build
{
    public static AccessRule Rule(
        RuleAction action,
        string? users = null,
        string? groups = null,
        string? methods = null,
        string? versions = null,
        string? commands = null,
        string? from = null,
        string? fromPorts = null,
        string? to = null,
        string? ports = null,
        string? reply = null,
        string? reason = null,
        int line = 0,
        string? name = null)
    {
        static string[] Split(string? text) => text is null ? [] : text.Split(',', StringSplitOptions.TrimEntries);

        return new AccessRule
        {
            Action = action,
            Name = name,
            Location = line > 0 ? new SourceLocation("windsock.toml", line, 1) : SourceLocation.None,
            Users = users is null && groups is null ? null : Ok(UserSet.TryParse(Split(users), Split(groups), out var u, out var e1), u, e1),
            Methods = methods is null ? null : Ok(AuthMethodSet.TryParse(Split(methods), out var m, out _, out var e2), m, e2),
            Versions = versions is null ? null : Ok(VersionSet.TryParse(Split(versions), out var v, out _, out var e3), v, e3),
            Commands = commands is null ? null : Ok(CommandSet.TryParse(commands, out var c, out var e4), c, e4),
            From = from is null ? null : Ok(NetworkSet.TryParse(from, out var f, out var e5), f, e5),
            FromPorts = fromPorts is null ? null : Ok(PortSet.TryParse(fromPorts, out var fp, out var e6), fp, e6),
            To = to is null ? null : Ok(DestinationSet.TryParse(to, out var t, out var e7), t, e7),
            Ports = ports is null ? null : Ok(PortSet.TryParse(ports, out var p, out var e8), p, e8),
            Reply = reply is null ? DenyReply.NotAllowed : OkValue(DenyReply.TryParse(reply, out var r, out var e9), r, e9),
            Reason = reason,
        };
    }

    public static AccessRule Allow(string? users = null, string? groups = null, string? methods = null, string? versions = null, string? commands = null, string? from = null, string? fromPorts = null, string? to = null, string? ports = null, int line = 0) =>
        Rule(RuleAction.Allow, users, groups, methods, versions, commands, from, fromPorts, to, ports, line: line);

    public static AccessRule Deny(string? users = null, string? groups = null, string? methods = null, string? versions = null, string? commands = null, string? from = null, string? fromPorts = null, string? to = null, string? ports = null, string? reply = null, string? reason = null, int line = 0) =>
        Rule(RuleAction.Deny, users, groups, methods, versions, commands, from, fromPorts, to, ports, reply, reason, line);

    /// <summary>A request from 192.0.2.10:40000 (not loopback). <paramref name="to"/> is "host:port" or "address:port" ("[v6]:port").</summary>
    public static AccessRequest Request(
        string to,
        string? user = null,
        string[]? groups = null,
        AuthMethod method = AuthMethod.None,
        SocksVersion version = SocksVersion.Socks5,
        PolicyCommand command = PolicyCommand.Connect,
        string client = "192.0.2.10",
        ushort clientPort = 40000,
        string? resolved = null,
        string[]? serverAddresses = null) => new()
        {
            User = user,
            Groups = groups ?? [],
            Method = method,
            Version = version,
            Command = command,
            ClientAddress = IPAddress.Parse(client),
            ClientPort = clientPort,
            Destination = Endpoint(to),
            ResolvedAddress = resolved is null ? null : IPAddress.Parse(resolved),
            ServerAddresses = [.. (serverAddresses ?? []).Select(IPAddress.Parse)],
        };

    public static SocksEndpoint Endpoint(string text)
    {
        int colon = text.LastIndexOf(':');
        string host = text[..colon];
        ushort port = ushort.Parse(text[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        if (host.StartsWith('['))
        {
            return SocksEndpoint.FromAddress(IPAddress.Parse(host[1..^1]), port);
        }

        return IPAddress.TryParse(host, out IPAddress? address) && host.Count(c => c == '.') == 3
            ? SocksEndpoint.FromAddress(address, port)
            : SocksEndpoint.FromHost(host, port);
    }

    private static T Ok<T>(bool ok, T? value, string? error) where T : notnull =>
        ok ? value! : throw new InvalidOperationException($"test rule does not parse: {error}");

    private static T OkValue<T>(bool ok, T value, string? error) where T : struct =>
        ok ? value : throw new InvalidOperationException($"test rule does not parse: {error}");
}
