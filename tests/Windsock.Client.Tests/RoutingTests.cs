using System.Net;
using System.Net.Sockets;
using Windsock.Client.Routing;
using Windsock.Client.Tests.Support;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>The routing file: parsing with positions, first-match decisions, and the environment fallbacks.</summary>
public class RoutingTests
{
    private const string Sample = """
        # ads are refused outright
        [[rule]]
        name = "ads"
        action = "deny"
        to = ["*.ads.example", "192.0.2.66"]

        [[rule]]
        action = "direct"
        to = [".corp.example", "10.0.0.0/8", "::1"]

        [[rule]]
        name = "web"
        action = "via"
        ports = ["http", 443, "8000-8080"]
        proxies = ["socks5h://proxy-a.example:1080", ["socks4a://jump.example:1081", "socks5://inner.example"]]
        """;

    private static Router SampleRouter => Router.Parse(Sample, "client.toml");

    [Theory]
    [InlineData("tracker.ads.example", 443, RouteAction.Deny)]
    [InlineData("TRACKER.Ads.Example.", 80, RouteAction.Deny)]
    [InlineData("ads.example", 80, RouteAction.Via)]            // "*." is below the domain only
    [InlineData("192.0.2.66", 80, RouteAction.Deny)]
    [InlineData("corp.example", 22, RouteAction.Direct)]        // "." includes the domain itself
    [InlineData("git.corp.example", 22, RouteAction.Direct)]
    [InlineData("10.1.2.3", 22, RouteAction.Direct)]
    [InlineData("::1", 22, RouteAction.Direct)]
    [InlineData("[::1]", 22, RouteAction.Direct)]
    [InlineData("::ffff:10.0.0.1", 22, RouteAction.Direct)]     // IPv4-mapped counts as IPv4
    [InlineData("www.example.org", 443, RouteAction.Via)]
    [InlineData("www.example.org", 8080, RouteAction.Via)]
    [InlineData("www.example.org", 22, RouteAction.Deny)]       // no rule matches: deny
    [InlineData("11.0.0.1", 25, RouteAction.Deny)]
    public void First_match_wins_and_no_match_denies(string host, int port, RouteAction expected) =>
        Assert.Equal(expected, SampleRouter.GetRoute(host, port).Action);

    [Fact]
    public void A_name_never_falls_into_a_network_because_the_router_does_no_dns()
    {
        var router = Router.Parse("[[rule]]\naction = \"direct\"\nto = [\"127.0.0.0/8\"]\n", "r.toml");
        Assert.Equal(RouteAction.Direct, router.GetRoute("127.0.0.1", 80).Action);
        Assert.Equal(RouteAction.Deny, router.GetRoute("localhost", 80).Action);
    }

    [Fact]
    public void Origins_name_the_rule_and_its_position()
    {
        var router = SampleRouter;
        Assert.Equal("rule 1 \"ads\" (client.toml:2:1)", router.GetRoute("x.ads.example", 1).Origin);
        Assert.Equal("rule 2 (client.toml:7:1)", router.GetRoute("10.0.0.1", 1).Origin);
        Assert.Contains("no rule in client.toml matched", router.GetRoute("example.org", 1).Origin, StringComparison.Ordinal);
        Assert.Equal(3, router.Rules.Count);
    }

    [Fact]
    public void Via_lists_proxies_and_chains_in_order()
    {
        var route = SampleRouter.GetRoute("example.org", 443);
        Assert.Equal(2, route.Proxies.Count);
        Assert.Equal("socks5h://proxy-a.example:1080", route.Proxies[0].ToString());
        Assert.Equal("socks4a://jump.example:1081 -> socks5://inner.example:1080", route.Proxies[1].ToString());
        Assert.Equal(NameResolution.Local, route.Proxies[1][1].Resolution);
    }

    [Fact]
    public void A_rule_without_conditions_matches_everything()
    {
        var router = Router.Parse("[[rule]]\naction = \"via\"\nproxies = [\"socks5h://127.0.0.1:1080\"]\n", "r.toml");
        Assert.Equal(RouteAction.Via, router.GetRoute("anything.example", 1).Action);
        Assert.Equal(RouteAction.Via, router.GetRoute("2001:db8::1", 65535).Action);
    }

    [Fact]
    public void An_empty_file_denies_everything() =>
        Assert.Equal(RouteAction.Deny, Router.Parse("# nothing yet\n", "r.toml").GetRoute("example.org", 80).Action);

    [Theory]
    [InlineData("[[rule]]\naction = \"allow\"\n", 2, 10, "action must be \"deny\", \"direct\" or \"via\"")]
    [InlineData("[[rule]]\nto = [\"a.example\"]\n", 1, 1, "has no action")]
    [InlineData("[[rule]]\naction = \"via\"\n", 2, 1, "needs proxies")]
    [InlineData("[[rule]]\naction = \"direct\"\nproxies = [\"socks5://p:1\"]\n", 3, 1, "only with action = \"via\"")]
    [InlineData("[[rule]]\naction = \"deny\"\nto = [\"ok.example\", \"bad host\"]\n", 3, 21, "not allowed in a host name")]
    [InlineData("[[rule]]\naction = \"deny\"\nto = [\"10.0.0.0/33\"]\n", 3, 7, "10.0.0.0/33")]
    [InlineData("[[rule]]\naction = \"deny\"\nports = [\"70000\"]\n", 3, 10, "not a port number")]
    [InlineData("[[rule]]\naction = \"deny\"\nports = \"https\"\n", 3, 9, "ports must be an array")]
    [InlineData("[[rule]]\naction = \"via\"\nproxies = [\"http://p:8080\"]\n", 3, 12, "not a SOCKS scheme")]
    [InlineData("[[rule]]\naction = \"via\"\nproxies = [\"p:1080\"]\n", 3, 12, "not a proxy URL")]
    [InlineData("[[rule]]\naction = \"via\"\nproxies = []\n", 3, 11, "an empty list of proxies")]
    [InlineData("[[rule]]\naction = \"deny\"\nport = [\"https\"]\n", 3, 1, "unknown key \"port\"")]
    [InlineData("default = \"deny\"\n", 1, 1, "unknown key \"default\" outside a [[rule]]")]
    [InlineData("[rule]\naction = \"deny\"\n", 1, 1, "write [[rule]] with double brackets")]
    [InlineData("[[rules]]\naction = \"deny\"\n", 1, 1, "unknown table \"rules\"")]
    [InlineData("[[rule]]\naction = \"deny\"\naction = \"direct\"\n", 3, 1, "invalid TOML")]
    [InlineData("[[rule]]\naction = deny\n", 2, 10, "invalid TOML")]
    public void Errors_point_at_file_line_and_column(string text, int line, int column, string message)
    {
        var e = Assert.Throws<RoutingFileException>(() => Router.Parse(text, "bad.toml"));
        Assert.Equal("bad.toml", e.File);
        Assert.True(e.Line == line && e.Column == column && e.Message.Contains(message, StringComparison.Ordinal),
            $"want bad.toml:{line}:{column} ... {message}; got {e.Message}");
        Assert.StartsWith($"bad.toml:{line}:{column}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_in_a_bad_proxy_url_are_not_repeated()
    {
        var e = Assert.Throws<RoutingFileException>(() =>
            Router.Parse("[[rule]]\naction = \"via\"\nproxies = [\"ftp://bob:hunter2@p:1080\"]\n", "r.toml"));
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("socks5h://bob:pw@p:1080?password-file=pw", "a password in the URL and password-file: keep one")]
    [InlineData("socks5h://bob@p:1080?password-file=/nonexistent/pw", "password-file /nonexistent/pw: ")]
    [InlineData("socks5h://p:1080?password-file=pw", "password-file needs a user: write socks5h://USER@HOST:PORT?password-file=pw")]
    public void Password_file_mistakes_are_errors_at_the_url(string url, string message)
    {
        var e = Assert.Throws<RoutingFileException>(() => Router.Parse($"[[rule]]\naction = \"via\"\nproxies = [\"{url}\"]\n", "r.toml"));
        Assert.StartsWith("r.toml:3:12: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(":pw@", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void All_proxy_takes_user_and_password_from_the_environment_and_a_password_file_relative_to_the_working_folder()
    {
        var env = new Dictionary<string, string?> { ["ALL_PROXY"] = "socks5h://p:1080", ["WINDSOCK_PROXY_USER"] = "bob", ["WINDSOCK_PROXY_PASSWORD"] = "pw" };
        var hop = Router.FromEnvironment(n => env.GetValueOrDefault(n), _ => false).GetRoute("example.org", 443).Proxies.Single().Single();
        Assert.Equal(("bob", "pw"), (hop.Credentials!.UserName, hop.Credentials.Password));
        Assert.Equal("socks5h://p:1080", hop.ToString());

        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-file\nsecond line\n");
            env["ALL_PROXY"] = $"socks5h://carol@p:1080?password-file={Uri.EscapeDataString(file)}";
            hop = Router.FromEnvironment(n => env.GetValueOrDefault(n), _ => false).GetRoute("example.org", 443).Proxies.Single().Single();
            Assert.Equal(("carol", "from-file"), (hop.Credentials!.UserName, hop.Credentials.Password));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Load_reports_a_missing_file_by_name()
    {
        var e = Assert.Throws<RoutingFileException>(() => Router.Load("/nonexistent/windsock/client.toml"));
        Assert.StartsWith("/nonexistent/windsock/client.toml: cannot read it", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_prefers_the_named_file_then_home_then_etc()
    {
        string dir = Directory.CreateTempSubdirectory("windsock-routing-").FullName;
        try
        {
            string named = Path.Combine(dir, "named.toml");
            File.WriteAllText(named, "[[rule]]\naction = \"direct\"\n");
            var env = new Dictionary<string, string?> { ["WINDSOCK_CLIENT_CONFIG"] = named, ["HOME"] = "/home/u", ["ALL_PROXY"] = "socks5h://127.0.0.1:9" };
            Assert.Equal(named, Router.FromEnvironment(n => env.GetValueOrDefault(n), _ => false).Source);

            env.Remove("WINDSOCK_CLIENT_CONFIG");
            Assert.Equal(["/home/u/.config/windsock/client.toml", "/etc/windsock/client.toml"], Router.DefaultLocations(n => env.GetValueOrDefault(n)));
            env["XDG_CONFIG_HOME"] = dir;
            Assert.Equal([Path.Combine(dir, "windsock", "client.toml"), "/etc/windsock/client.toml"], Router.DefaultLocations(n => env.GetValueOrDefault(n)));

            // A named file that does not exist is an error, not a silent fall back.
            env["WINDSOCK_CLIENT_CONFIG"] = Path.Combine(dir, "missing.toml");
            Assert.Throws<RoutingFileException>(() => Router.FromEnvironment(n => env.GetValueOrDefault(n), _ => false));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("ALL_PROXY", "socks5h://127.0.0.1:1081", "socks5h://127.0.0.1:1081")]
    [InlineData("all_proxy", "socks4a://proxy.example", "socks4a://proxy.example:1080")]
    [InlineData("ALL_PROXY", "socks5://[::1]:1082", "socks5://[::1]:1082")]
    public void Without_a_file_all_proxy_sends_everything_through_it(string variable, string url, string expected)
    {
        var router = Router.FromEnvironment(n => n == variable ? url : null, _ => false);
        var route = router.GetRoute("example.org", 443);
        Assert.Equal(RouteAction.Via, route.Action);
        Assert.Equal(expected, route.Proxies.Single().ToString());
        Assert.Equal(variable, route.Origin);
    }

    [Fact]
    public void Without_a_file_or_all_proxy_everything_is_direct() =>
        Assert.Equal(RouteAction.Direct, Router.FromEnvironment(_ => null, _ => false).GetRoute("example.org", 443).Action);

    [Fact]
    public void A_non_socks_all_proxy_is_an_error_rather_than_a_silent_bypass()
    {
        var e = Assert.Throws<RoutingFileException>(() => Router.FromEnvironment(n => n == "ALL_PROXY" ? "http://proxy:3128" : null, _ => false));
        Assert.StartsWith("ALL_PROXY: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Denied_destinations_are_not_contacted()
    {
        using var cts = Bounded.Cts();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var router = Router.Parse("[[rule]]\naction = \"deny\"\nto = [\"127.0.0.1\"]\n", "r.toml");
        var e = await Assert.ThrowsAsync<RouteDeniedException>(() => router.ConnectAsync("127.0.0.1", echo.EndPoint.Port, cts.Token));
        Assert.Contains("rule 1 (r.toml:1:1)", e.Message, StringComparison.Ordinal);
        Assert.Empty(echo.Peers);
    }

    [Fact]
    public async Task Direct_connects_without_a_proxy()
    {
        using var cts = Bounded.Cts();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var router = Router.Parse("[[rule]]\naction = \"direct\"\n", "r.toml");
        using var socket = await router.ConnectAsync("127.0.0.1", echo.EndPoint.Port, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task Via_falls_back_to_the_next_proxy_when_the_first_cannot_be_reached()
    {
        using var cts = Bounded.Cts();
        await using var proxy = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var logger = new ListLogger();
        var router = Router.Parse($"""
            [[rule]]
            action = "via"
            proxies = ["socks5h://127.0.0.1:{FreePort.Closed()}", "socks5h://127.0.0.1:{proxy.EndPoint.Port}"]
            """, "r.toml");
        router.Options = new SocksClientOptions { Logger = logger };

        using var socket = await router.ConnectAsync("127.0.0.1", echo.EndPoint.Port, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);
        var log = logger.Lines;
        Assert.Contains(log, l => l.Contains("unreachable", StringComparison.Ordinal) && l.Contains("trying", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("CONNECT 127.0.0.1:", StringComparison.Ordinal) && l.Contains("granted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_socks_refusal_is_final_and_does_not_fall_back()
    {
        using var cts = Bounded.Cts();
        await using var refusing = TestServer.Start();
        await using var second = TestServer.Start();
        var router = Router.Parse($"""
            [[rule]]
            action = "via"
            proxies = ["socks5h://127.0.0.1:{refusing.EndPoint.Port}", "socks5h://127.0.0.1:{second.EndPoint.Port}"]
            """, "r.toml");

        // Nothing listens on the closed port, so the first proxy answers "connection refused".
        var e = await Assert.ThrowsAsync<SocksException>(() => router.ConnectAsync("127.0.0.1", FreePort.Closed(), cts.Token));
        Assert.Equal(SocksErrorKind.CommandFailed, e.Kind);
        Assert.Equal(refusing.EndPoint.Port, e.Hop!.Port);
        Assert.Empty(second.Lines);
    }

    [Fact]
    public async Task When_no_proxy_can_be_reached_the_last_failure_is_reported()
    {
        using var cts = Bounded.Cts();
        ushort first = FreePort.Closed();
        ushort last = FreePort.Closed();
        var router = Router.Parse($"""
            [[rule]]
            action = "via"
            proxies = ["socks5h://127.0.0.1:{first}", "socks5h://127.0.0.1:{last}"]
            """, "r.toml");
        var e = await Assert.ThrowsAsync<SocksException>(() => router.ConnectAsync("example.org", 80, cts.Token));
        Assert.Equal(SocksErrorKind.ProxyUnreachable, e.Kind);
        Assert.Equal(last, e.Hop!.Port);
        Assert.IsType<SocketException>(e.InnerException);
    }

    [Fact]
    public async Task A_proxy_that_does_not_answer_the_connection_times_out_into_unreachable()
    {
        using var cts = Bounded.Cts();
        // A loopback listener with a full accept queue: the SYN gets no answer, as from a host that drops it.
        using var stalled = new StalledListener();
        var router = Router.Parse($"[[rule]]\naction = \"via\"\nproxies = [\"socks5h://127.0.0.1:{stalled.EndPoint.Port}\"]\n", "r.toml");
        router.Options = new SocksClientOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300) };
        var e = await Assert.ThrowsAsync<SocksException>(() => router.ConnectAsync("example.org", 80, cts.Token));
        Assert.Equal(SocksErrorKind.ProxyUnreachable, e.Kind);
        Assert.Equal(System.Net.Sockets.SocketError.TimedOut, Assert.IsType<System.Net.Sockets.SocketException>(e.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task Udp_association_falls_back_and_skips_proxies_that_cannot_carry_udp()
    {
        using var cts = Bounded.Cts();
        await using var proxy = TestServer.Start();
        var router = Router.Parse($"""
            [[rule]]
            action = "via"
            proxies = ["socks4a://127.0.0.1:{proxy.EndPoint.Port}", "socks5://127.0.0.1:{FreePort.Closed()}", "socks5://127.0.0.1:{proxy.EndPoint.Port}"]
            """, "r.toml");
        await using var udp = await router.AssociateUdpAsync(router.GetRoute("127.0.0.1", 53), cts.Token);
        Assert.Equal(proxy.EndPoint.Port, udp.Proxy.Port);
    }
    [Theory]
    [InlineData("tracker.ads.example", 443)]
    [InlineData("10.1.2.3", 22)]
    [InlineData("[::1]", 22)]
    [InlineData("www.example.org", 8080)]
    [InlineData("www.example.org", 22)]
    [InlineData("git.corp.example", 22)]
    public void Explain_agrees_with_Resolve(string host, int port)
    {
        var router = SampleRouter;
        RouteExplanation explanation = router.Explain(host, port);
        Route route = router.GetRoute(host, port);
        Assert.Equal(route.Action, explanation.Route.Action);
        Assert.Equal(route.Origin, explanation.Route.Origin);
        Assert.Equal(router.Rules.Count, explanation.Rules.Count);
        Assert.Equal(explanation.DecidedBy, explanation.Rules.SingleOrDefault(r => r.Result == RoutingRuleResult.Matched)?.Rule);
    }

    [Fact]
    public void Explain_gives_each_rule_its_reason_in_order()
    {
        RouteExplanation explanation = SampleRouter.Explain("www.example.org", 443);

        Assert.Equal("www.example.org:443", explanation.Destination);
        Assert.Equal("client.toml", explanation.Source);
        Assert.Equal(3, explanation.DecidedBy!.Number);
        Assert.Equal(
            [
                "rule 1 \"ads\" (client.toml:2:1) did not match: www.example.org not in {*.ads.example, 192.0.2.66/32} (a name is never in a network: the router does no DNS to decide)",
                "rule 2 (client.toml:7:1) did not match: www.example.org not in {.corp.example, 10.0.0.0/8, ::1/128} (a name is never in a network: the router does no DNS to decide)",
                "rule 3 \"web\" (client.toml:11:1) matched (via): port 443 in {80,443,8000-8080}; no to: every host",
            ],
            explanation.Rules.Select(r => r.ToString()));
        Assert.EndsWith("route: via socks5h://proxy-a.example:1080, then socks4a://jump.example:1081 -> socks5://inner.example:1080 (rule 3 \"web\" (client.toml:11:1))\n", explanation.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_says_why_addresses_and_ports_did_not_match_and_marks_later_rules_not_reached()
    {
        RouteExplanation denied = SampleRouter.Explain("192.0.2.66", 80);
        Assert.Equal(RouteAction.Deny, denied.Route.Action);
        Assert.Equal("192.0.2.66 in 192.0.2.66/32", denied.Rules[0].Reason);
        Assert.Equal([RoutingRuleResult.Matched, RoutingRuleResult.NotReached, RoutingRuleResult.NotReached], denied.Rules.Select(r => r.Result));
        Assert.EndsWith("was not reached", denied.Rules[2].ToString(), StringComparison.Ordinal);

        RouteExplanation none = SampleRouter.Explain("11.0.0.1", 25);
        Assert.Null(none.DecidedBy);
        Assert.Equal(RouteAction.Deny, none.Route.Action);
        Assert.Equal("11.0.0.1 not in {.corp.example, 10.0.0.0/8, ::1/128}", none.Rules[1].Reason);
        Assert.Equal("port 25 not in {80,443,8000-8080}", none.Rules[2].Reason);
        Assert.Contains("no rule in client.toml matched, and no match denies", none.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_without_a_file_has_no_rules_and_names_the_source()
    {
        RouteExplanation explanation = Router.Through(new ProxyChain(new ProxyHop("127.0.0.1", 1080)), "ALL_PROXY").Explain("example.org", 80);
        Assert.Empty(explanation.Rules);
        Assert.Null(explanation.DecidedBy);
        Assert.Equal("ALL_PROXY", explanation.Route.Origin);
        Assert.Equal(RouteAction.Via, explanation.Route.Action);
    }
}
