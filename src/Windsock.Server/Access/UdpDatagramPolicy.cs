using System.Net;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Server.Sessions;
using Windsock.Server.Udp;

namespace Windsock.Server.Access;

/// <summary>
/// The access rules applied to one association's datagrams, command <c>udp</c>, in both senses CONNECT is
/// decided: a datagram that names a host is decided on the name before the name is resolved (so host
/// patterns apply, and a denied name is never looked up), then on each address it resolves to, with the
/// name still in the request, so that both host patterns and networks hold.
/// <para>
/// A decision depends only on the association's fixed description (who, from where), the rules in force,
/// and the destination. The rules in force are the gate the session started with until a reload replaces
/// it (<see cref="AccessGate.Latest"/>): then the association is described again (the groups file may have
/// changed too), every verdict kept is forgotten and <see cref="Generation"/> moves on, so that the next
/// datagram to any destination is decided by the new rules. The verdicts on names are kept here, for the
/// generation's life: a DNS client sending thousands of datagrams to a few names pays one rule evaluation
/// per name and address, not one per datagram (the association keeps its own verdicts on addresses, keyed
/// by their bytes). The association's receive loop asks one datagram at a time, so a plain dictionary
/// serves; it is bounded and starts over when full.
/// </para>
/// </summary>
internal sealed class UdpDatagramPolicy : IUdpDatagramDecisions
{
    /// <summary>Verdicts kept per association: twice the distinct peers it may have, for names and their addresses.</summary>
    public const int MaxVerdicts = 2 * UdpAssociation.MaxPeers;

    private readonly SessionRecord _record;
    private readonly Dictionary<(string Host, ushort Port, IPAddress? Address), bool> _nameVerdicts = [];
    private AccessGate _gate;
    private AccessRequest _association;
    private int _generation;

    /// <param name="gate">The rules in force for the association's session when it starts.</param>
    /// <param name="record">The association's session.</param>
    public UdpDatagramPolicy(AccessGate gate, SessionRecord record)
    {
        _gate = gate;
        _record = record;
        _association = gate.DescribeUdpAssociation(record);
    }

    public int Generation
    {
        get
        {
            if (_gate.Latest is var latest && !ReferenceEquals(latest, _gate))
            {
                _gate = latest;
                _association = latest.DescribeUdpAssociation(_record);
                _nameVerdicts.Clear();
                _generation++;
            }

            return _generation;
        }
    }

    public bool MayResolve(SocksEndpoint requested)
    {
        ArgumentNullException.ThrowIfNull(requested.Host);
        _ = Generation;
        var key = (requested.Host, requested.Port, (IPAddress?)null);
        if (!_nameVerdicts.TryGetValue(key, out bool allowed))
        {
            // On a name alone the rules can deny but never allow: "needs the address" lets the lookup go ahead.
            allowed = Decide(requested, null).Outcome != DecisionOutcome.Deny;
            Keep(key, allowed);
        }

        return allowed;
    }

    public bool IsAllowed(SocksEndpoint requested, IPEndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        _ = Generation;
        if (requested.Host is not { } host)
        {
            // An address alone: its verdict is the association's to keep, with the address's bytes as the key.
            return Decide(requested, destination.Address).IsAllowed;
        }

        var key = (host, requested.Port, (IPAddress?)destination.Address);
        if (!_nameVerdicts.TryGetValue(key, out bool allowed))
        {
            allowed = Decide(requested, destination.Address).IsAllowed;
            Keep(key, allowed);
        }

        return allowed;
    }

    private Decision Decide(SocksEndpoint requested, IPAddress? address) =>
        _gate.Decide(_association with { Destination = requested, ResolvedAddress = address });

    private void Keep((string Host, ushort Port, IPAddress? Address) key, bool allowed)
    {
        if (_nameVerdicts.Count >= MaxVerdicts)
        {
            _nameVerdicts.Clear();
        }

        _nameVerdicts[key] = allowed;
    }
}
