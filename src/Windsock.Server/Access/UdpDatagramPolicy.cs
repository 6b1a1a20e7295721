using System.Net;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Server.Udp;

namespace Windsock.Server.Access;

/// <summary>
/// The access rules applied to one association's datagrams, command <c>udp</c>, in both senses CONNECT is
/// decided: a datagram that names a host is decided on the name before the name is resolved (so host
/// patterns apply, and a denied name is never looked up), then on each address it resolves to, with the
/// name still in the request, so that both host patterns and networks hold.
/// <para>
/// A decision depends only on the association's fixed description (who, from where), the rules of the
/// configuration the session started with, and the destination, so each verdict is kept for the
/// association's life: a DNS or game client sending thousands of datagrams to a few destinations pays one
/// rule evaluation per destination, not one per datagram. The association's receive loop asks one datagram
/// at a time, so a plain dictionary serves; it is bounded and starts over when full.
/// </para>
/// </summary>
internal sealed class UdpDatagramPolicy : IUdpDatagramDecisions
{
    /// <summary>Verdicts kept per association: twice the distinct peers it may have, for names and their addresses.</summary>
    public const int MaxVerdicts = 2 * UdpAssociation.MaxPeers;

    private readonly AccessGate _gate;
    private readonly AccessRequest _association;

    // Datagrams addressed by address are decided on the endpoint alone; those naming a host on the name and
    // port, then on each address with them. Two maps keep the common key small and cheap to hash.
    private readonly Dictionary<IPEndPoint, bool> _addressVerdicts = [];
    private readonly Dictionary<(string Host, ushort Port, IPAddress? Address), bool> _nameVerdicts = [];

    /// <param name="gate">The rules in force for the association's session.</param>
    /// <param name="association">The association described as a request; each datagram's destination replaces its own.</param>
    public UdpDatagramPolicy(AccessGate gate, AccessRequest association)
    {
        _gate = gate;
        _association = association;
    }

    public bool MayResolve(SocksEndpoint requested)
    {
        ArgumentNullException.ThrowIfNull(requested.Host);
        var key = (requested.Host, requested.Port, (IPAddress?)null);
        if (!_nameVerdicts.TryGetValue(key, out bool allowed))
        {
            // On a name alone the rules can deny but never allow: "needs the address" lets the lookup go ahead.
            allowed = Decide(requested, null).Outcome != DecisionOutcome.Deny;
            Keep(_nameVerdicts, key, allowed);
        }

        return allowed;
    }

    public bool IsAllowed(SocksEndpoint requested, IPEndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        bool allowed;
        if (requested.Host is { } host)
        {
            var key = (host, requested.Port, (IPAddress?)destination.Address);
            if (!_nameVerdicts.TryGetValue(key, out allowed))
            {
                allowed = Decide(requested, destination.Address).IsAllowed;
                Keep(_nameVerdicts, key, allowed);
            }
        }
        else if (!_addressVerdicts.TryGetValue(destination, out allowed))
        {
            allowed = Decide(requested, destination.Address).IsAllowed;
            Keep(_addressVerdicts, destination, allowed);
        }

        return allowed;
    }

    private Decision Decide(SocksEndpoint requested, IPAddress? address) =>
        _gate.Decide(_association with { Destination = requested, ResolvedAddress = address });

    private void Keep<TKey>(Dictionary<TKey, bool> verdicts, TKey key, bool allowed)
        where TKey : notnull
    {
        if (_addressVerdicts.Count + _nameVerdicts.Count >= MaxVerdicts)
        {
            _addressVerdicts.Clear();
            _nameVerdicts.Clear();
        }

        verdicts[key] = allowed;
    }
}
