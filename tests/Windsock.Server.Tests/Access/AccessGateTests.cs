using System.Net;
using Microsoft.Extensions.Time.Testing;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Access;
using Windsock.Server.Configuration;
using Windsock.Server.Sessions;
using Xunit;

namespace Windsock.Server.Tests.Access;

/// <summary>The decision seam as the server and windsock check both build it from a configuration.</summary>
public class AccessGateTests
{
    private static readonly Dictionary<string, IReadOnlyList<string>> Staff = new() { ["alice"] = ["staff"] };

    private static SessionRecord Record(string client = "127.0.0.1") =>
        new(1, new IPEndPoint(IPAddress.Parse(client), 40000), new IPEndPoint(IPAddress.Loopback, 1080), DateTimeOffset.UnixEpoch);

    [Fact]
    public void Allowed_clients_close_every_other_address()
    {
        var gate = AccessGate.For(ServerOptions.Default with { AllowedClients = [IPNetwork.Parse("127.0.0.1/32")] }, Staff, [], passwordsRequired: false);

        Assert.Null(gate.RefuseClient(IPAddress.Loopback));
        Assert.Equal("client address not allowed", gate.RefuseClient(IPAddress.Parse("127.0.0.2")));
        Assert.Equal("client address not allowed", gate.RefuseClient(IPAddress.Parse("10.9.9.9")));
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, "SOCKS4 refused: the server requires username/password")]
    public void Socks4_is_refused_when_passwords_are_required(bool passwords, string? expected)
    {
        var gate = AccessGate.For(ServerOptions.Default, Staff, [], passwords);

        Assert.Equal(expected, gate.RefuseVersion(SocksVersion.Socks4));
        Assert.Null(gate.RefuseVersion(SocksVersion.Socks5));
    }

    [Fact]
    public void The_typed_auth_method_decides_method_rules_and_the_user_stays_unconfirmed_without_it()
    {
        var rules = new RuleSet(
        [
            new AccessRule { Action = RuleAction.Allow, Name = "staff", Methods = AuthMethodSet.Of(AuthMethod.UsernamePassword), Users = new UserSet([], ["staff"]) },
        ]);
        var gate = new AccessGate(rules, Staff, []);
        var record = Record();
        record.User = "alice";
        var destination = SocksEndpoint.FromAddress(IPAddress.Parse("192.0.2.80"), 443);

        record.AuthMethod = AuthMethod.UsernamePassword;
        var logged = gate.DecideRequest(record, SocksVersion.Socks5, PolicyCommand.Connect, destination);
        record.AuthMethod = AuthMethod.None;
        var claimed = gate.DecideRequest(record, SocksVersion.Socks4, PolicyCommand.Connect, destination);

        Assert.True(logged.Decision.IsAllowed, logged.Decision.Reason);
        Assert.Equal(["staff"], logged.Request.Groups);
        Assert.False(claimed.Decision.IsAllowed);
        Assert.Null(claimed.Request.User); // a SOCKS4 user id names a user only when identd confirmed it
    }

    [Fact]
    public void The_record_measures_its_duration_on_the_servers_clock()
    {
        var time = new FakeTimeProvider();
        var record = new SessionRecord(1, new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), time.GetUtcNow(), time);

        time.Advance(TimeSpan.FromSeconds(90));

        Assert.Equal(TimeSpan.FromSeconds(90), record.Elapsed);
    }
}
