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
    private readonly Dictionary<(SocksEndpoint Requested, IPAddress? Address), bool> _verdicts = [];

    /// <param name="gate">The rules in force for the association's session.</param>
    /// <param name="association">The association described as a request; each datagram's destination replaces its own.</param>
    public UdpDatagramPolicy(AccessGate gate, AccessRequest association)
    {
        _gate = gate;
        _association = association;
    }

    public bool MayResolve(SocksEndpoint requested) => Verdict(requested, null);

    public bool IsAllowed(SocksEndpoint requested, IPEndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return Verdict(requested, destination.Address);
    }

    private bool Verdict(SocksEndpoint requested, IPAddress? address)
    {
        var key = (requested, address);
        if (_verdicts.TryGetValue(key, out bool allowed))
        {
            return allowed;
        }

        var decision = _gate.Decide(_association with { Destination = requested, ResolvedAddress = address });

        // On a name alone the rules can deny but never allow: "needs the address" lets the lookup go ahead.
        allowed = address is null ? decision.Outcome != DecisionOutcome.Deny : decision.IsAllowed;
        if (_verdicts.Count >= MaxVerdicts)
        {
            _verdicts.Clear();
        }

        _verdicts[key] = allowed;
        return allowed;
    }
}
