using System.Net;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Server.Access;
using Windsock.Server.Sessions;
using Xunit;

namespace Windsock.Server.Tests.Access;

/// <summary>The per-association datagram decisions: name first, then each address with the name; verdicts kept, bounded.</summary>
public class UdpDatagramPolicyTests
{
    private static readonly SessionRecord Record = new(1, new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 1080), DateTimeOffset.UnixEpoch);

    private static DestinationSet To(string text)
    {
        Assert.True(DestinationSet.TryParse(text, out var set, out var error), error);
        return set;
    }

    private static UdpDatagramPolicy Policy(params AccessRule[] rules) =>
        new AccessGate(new RuleSet(rules), new Dictionary<string, IReadOnlyList<string>>(), []).ForUdpAssociation(Record);

    private static readonly AccessRule AllowUdp = new() { Action = RuleAction.Allow, Commands = CommandSet.Of(PolicyCommand.UdpAssociate) };

    [Fact]
    public void A_host_pattern_meets_the_name_and_a_network_meets_the_address()
    {
        var policy = Policy(
            new AccessRule { Action = RuleAction.Deny, To = To("localhost") },
            new AccessRule { Action = RuleAction.Deny, To = To("192.0.2.0/24") },
            AllowUdp);
        var loopback = new IPEndPoint(IPAddress.Loopback, 53);

        Assert.False(policy.MayResolve(SocksEndpoint.FromHost("localhost", 53)));
        Assert.False(policy.IsAllowed(SocksEndpoint.FromHost("localhost", 53), loopback));
        Assert.True(policy.IsAllowed(SocksEndpoint.FromEndPoint(loopback), loopback));

        // A name that passes on its own still meets the networks through its address.
        var named = SocksEndpoint.FromHost("dns.example", 53);
        Assert.True(policy.MayResolve(named));
        Assert.False(policy.IsAllowed(named, new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53)));
        Assert.True(policy.IsAllowed(named, new IPEndPoint(IPAddress.Parse("198.51.100.53"), 53)));
    }

    [Fact]
    public void Verdicts_stay_right_past_the_bound()
    {
        var policy = Policy(new AccessRule { Action = RuleAction.Deny, Ports = PortSet.Of(53) }, AllowUdp);
        for (int i = 0; i < UdpDatagramPolicy.MaxVerdicts + 100; i++)
        {
            var address = new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);
            foreach (var (port, expected) in new[] { ((ushort)53, false), ((ushort)54, true) })
            {
                var target = new IPEndPoint(address, port);
                Assert.Equal(expected, policy.IsAllowed(SocksEndpoint.FromEndPoint(target), target));
                Assert.Equal(expected, policy.IsAllowed(SocksEndpoint.FromHost("h" + i, port), target));
            }
        }
    }
}
