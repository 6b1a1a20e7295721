using System.Net;
using Windsock.Server.Sessions;

namespace Windsock.Server.Admin;

/// <summary>
/// Which live sessions a status request asks for: each given field must match (user, command and rule exactly;
/// client as an address or network; destination as a part of "host:port"). An empty filter matches every session.
/// </summary>
public sealed record SessionFilter
{
    public string? User { get; init; }

    public IPNetwork? Client { get; init; }

    public string? Command { get; init; }

    public string? Destination { get; init; }

    public string? Rule { get; init; }

    /// <summary>The filter from query parameters user, client, command, destination, rule; false with the problem.</summary>
    public static bool TryParse(IReadOnlyDictionary<string, string> query, out SessionFilter filter, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        filter = new SessionFilter();
        problem = query.Keys.FirstOrDefault(k => k is not ("user" or "client" or "command" or "destination" or "rule")) is { } unknown
            ? $"unknown filter \"{unknown}\"; filters are user, client, command, destination and rule"
            : null;
        if (problem is not null)
        {
            return false;
        }

        IPNetwork? client = null;
        if (query.TryGetValue("client", out string? clientText))
        {
            if (IPNetwork.TryParse(clientText, out IPNetwork network))
            {
                client = network;
            }
            else if (IPAddress.TryParse(clientText, out IPAddress? address))
            {
                client = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            }
            else
            {
                problem = $"client \"{clientText}\" is neither an address nor a network (e.g. 192.0.2.7 or 192.0.2.0/24)";
                return false;
            }
        }

        filter = new SessionFilter
        {
            User = query.GetValueOrDefault("user"),
            Client = client,
            Command = query.GetValueOrDefault("command"),
            Destination = query.GetValueOrDefault("destination"),
            Rule = query.GetValueOrDefault("rule"),
        };
        return true;
    }

    public bool Matches(SessionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var clientAddress = record.Client.Address.IsIPv4MappedToIPv6 ? record.Client.Address.MapToIPv4() : record.Client.Address;
        return (User is null || string.Equals(record.User, User, StringComparison.Ordinal))
            && (Client is not { } network || network.Contains(clientAddress))
            && (Command is null || string.Equals(record.CommandName, Command, StringComparison.Ordinal))
            && (Destination is null || (record.Destination?.ToString() ?? string.Empty).Contains(Destination, StringComparison.OrdinalIgnoreCase))
            && (Rule is null || (record.Rule ?? string.Empty).Contains(Rule, StringComparison.Ordinal));
    }
}
