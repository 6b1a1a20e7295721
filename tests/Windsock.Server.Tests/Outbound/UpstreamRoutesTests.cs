using Microsoft.Extensions.Time.Testing;
using Windsock.Client;
using Windsock.Server.Configuration;
using Windsock.Server.Outbound;
using Xunit;

namespace Windsock.Server.Tests.Outbound;

/// <summary>A reload's new route table keeps the health of routes it did not change, and starts changed ones fresh.</summary>
public sealed class UpstreamRoutesTests
{
    private readonly FakeTimeProvider _time = new();

    private static UpstreamRouteOptions Route(string name, int port, int maxFailures = 1) => new()
    {
        Name = name,
        Chains = [new ProxyChain(new ProxyHop("127.0.0.1", port))],
        MaxFailures = maxFailures,
    };

    [Fact]
    public void An_unchanged_route_keeps_its_chains_health_across_a_reload()
    {
        var before = new UpstreamRoutes([Route("office", 1081), Route("lab", 1082)], TimeSpan.FromSeconds(5), _time);
        Assert.True(before.Find("office")!.Health[0].Failed("refused"));

        var after = new UpstreamRoutes([Route("office", 1081), Route("lab", 1083)], TimeSpan.FromSeconds(5), _time, before);

        Assert.Same(before.Find("office")!.Health[0], after.Find("office")!.Health[0]);
        Assert.False(after.Find("office")!.Health[0].IsAvailable);
        Assert.NotSame(before.Find("lab")!.Health[0], after.Find("lab")!.Health[0]);
    }

    [Fact]
    public void A_changed_health_setting_starts_the_route_fresh()
    {
        var before = new UpstreamRoutes([Route("office", 1081)], TimeSpan.FromSeconds(5), _time);
        before.Find("office")!.Health[0].Failed("refused");

        var after = new UpstreamRoutes([Route("office", 1081, maxFailures: 3)], TimeSpan.FromSeconds(5), _time, before);

        Assert.True(after.Find("office")!.Health[0].IsAvailable);
        Assert.Null(after.Find("gone"));
    }
}
