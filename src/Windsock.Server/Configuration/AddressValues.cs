using System.Diagnostics.CodeAnalysis;
using System.Net;
using Windsock.Policy;

namespace Windsock.Server.Configuration;

/// <summary>
/// Addresses and networks in the configuration's own keys (listen, allowed_clients, bind.address,
/// udp.advertised_address): the strict forms of <see cref="NetworkSyntax"/>, the one parser that rules, the
/// client routing file and <c>windsock check</c> use too, with its errors as located problems.
/// </summary>
internal static class AddressValues
{
    private const string AddressFix = "write an IPv4 address like 192.0.2.10 or an IPv6 address like 2001:db8::10";

    /// <summary>A strict address; a scope id is allowed, since a listen address on a link-local network needs one.</summary>
    public static bool TryParseAddress(string text, [NotNullWhen(true)] out IPAddress? address, out ValueProblem problem)
    {
        bool ok = NetworkSyntax.TryParseAddress(text, out address, out string? error, allowScopeId: true);
        problem = ok ? default : ValueProblem.FromPolicyError(error, AddressFix);
        return ok;
    }

    /// <summary>A network in CIDR form, or a bare address for one host.</summary>
    public static bool TryParseNetwork(string text, out IPNetwork network, out ValueProblem problem)
    {
        bool ok = NetworkSyntax.TryParseNetwork(text, out network, out string? error);
        problem = ok ? default : ValueProblem.FromPolicyError(error, AddressFix);
        return ok;
    }
}
