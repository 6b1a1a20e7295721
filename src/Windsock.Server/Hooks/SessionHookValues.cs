using System.Globalization;
using Windsock.Server.Sessions;

namespace Windsock.Server.Hooks;

/// <summary>What a session record offers a hook's %-codes.</summary>
public static class SessionHookValues
{
    public static HookValues From(SessionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var destination = record.Destination;
        var address = record.Connected?.Address ?? destination?.Address;
        return new HookValues(
            ClientName: null, // no reverse lookups on the session path: %A falls back to the address
            ClientAddress: record.Client.Address.IsIPv4MappedToIPv6 ? record.Client.Address.MapToIPv4().ToString() : record.Client.Address.ToString(),
            Command: record.CommandName,
            Service: null,
            Port: destination?.Port.ToString(CultureInfo.InvariantCulture),
            IdentUser: record.IdentUser,
            SocksUser: record.User,
            DestinationName: destination?.Host,
            DestinationAddress: address?.ToString());
    }
}
