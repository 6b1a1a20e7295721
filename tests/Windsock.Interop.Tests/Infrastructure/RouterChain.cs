using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// Four network namespaces made by the test, in a line: proxy → router 1 → router 2 → target, joined by veth
/// pairs, forwarding on in the routers, IPv4 and IPv6 (addresses without DAD, so they work at once), ICMP
/// rate limits off in the routers (a run of tests must not be rate-limited into timeouts). Router 2 also has an
/// unreachable route (it answers Destination Unreachable) and a blackhole route (it drops silently). The
/// windsock server runs in the proxy namespace and its client talks to it over that namespace's loopback.
/// Needs root; <see cref="SkipReason"/> says why not otherwise. Disposing deletes the namespaces (and links).
/// </summary>
public sealed class RouterChain : IAsyncDisposable
{
    public const string Router1V4 = "10.232.1.2";
    public const string Router2V4 = "10.232.2.2";
    public const string TargetV4 = "10.232.3.2";
    public const string UnreachableV4 = "10.232.9.1";
    public const string BlackholeV4 = "10.232.8.1";
    public const string Router1V6 = "fd32:1::2";
    public const string Router2V6 = "fd32:2::2";
    public const string TargetV6 = "fd32:3::2";
    public const string UnreachableV6 = "fd32:9::1";
    public const string BlackholeV6 = "fd32:8::1";

    private RouterChain(string suffix)
    {
        Proxy = $"wsping-p-{suffix}";
        Router1 = $"wsping-r1-{suffix}";
        Router2 = $"wsping-r2-{suffix}";
        Target = $"wsping-t-{suffix}";
    }

    public string Proxy { get; }

    public string Router1 { get; }

    public string Router2 { get; }

    public string Target { get; }

    public string? SkipReason { get; private set; }

    public static async Task<RouterChain> CreateAsync()
    {
        string s = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        var chain = new RouterChain(s);
        string p = chain.Proxy, r1 = chain.Router1, r2 = chain.Router2, t = chain.Target;
        var steps = new List<string[]>();
        foreach (var ns in (string[])[p, r1, r2, t])
        {
            steps.Add(["netns", "add", ns]);
            // Before any link exists: no duplicate address detection, not even for link-local addresses, which
            // neighbour discovery needs; otherwise the first second of IPv6 in a fresh namespace is lost.
            steps.Add(["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0"]);
            steps.Add(["-n", ns, "link", "set", "lo", "up"]);
        }

        int linkNumber = 0;
        void Link(string left, string leftName, string leftV4, string leftV6, string right, string rightName, string rightV4, string rightV6)
        {
            // Fixed MAC addresses and permanent neighbour entries both ways: no ARP or neighbour discovery, whose
            // first resolution in a fresh namespace can take longer than a probe's timeout.
            linkNumber++;
            string leftMac = $"02:32:00:0{linkNumber}:00:01", rightMac = $"02:32:00:0{linkNumber}:00:02";
            steps.Add(["link", "add", leftName, "netns", left, "address", leftMac, "type", "veth", "peer", "name", rightName, "netns", right, "address", rightMac]);
            steps.Add(["-n", left, "addr", "add", leftV4, "dev", leftName]);
            steps.Add(["-n", right, "addr", "add", rightV4, "dev", rightName]);
            steps.Add(["-n", left, "-6", "addr", "add", leftV6, "dev", leftName, "nodad"]);
            steps.Add(["-n", right, "-6", "addr", "add", rightV6, "dev", rightName, "nodad"]);
            // The link-local address is made when the link goes up: without DAD it is usable at once.
            steps.Add(["netns", "exec", left, "sysctl", "-q", "-w", $"net.ipv6.conf.{leftName}.accept_dad=0"]);
            steps.Add(["netns", "exec", right, "sysctl", "-q", "-w", $"net.ipv6.conf.{rightName}.accept_dad=0"]);
            steps.Add(["-n", left, "link", "set", leftName, "up"]);
            steps.Add(["-n", right, "link", "set", rightName, "up"]);
            foreach (var (ns, dev, v4, v6, mac) in (ReadOnlySpan<(string, string, string, string, string)>)[(left, leftName, rightV4, rightV6, rightMac), (right, rightName, leftV4, leftV6, leftMac)])
            {
                steps.Add(["-n", ns, "neigh", "replace", v4.Split('/')[0], "lladdr", mac, "dev", dev, "nud", "permanent"]);
                steps.Add(["-n", ns, "neigh", "replace", v6.Split('/')[0], "lladdr", mac, "dev", dev, "nud", "permanent"]);
            }
        }

        Link(p, $"wp{s}", "10.232.1.1/24", "fd32:1::1/64", r1, $"w1a{s}", "10.232.1.2/24", "fd32:1::2/64");
        Link(r1, $"w1b{s}", "10.232.2.1/24", "fd32:2::1/64", r2, $"w2a{s}", "10.232.2.2/24", "fd32:2::2/64");
        Link(r2, $"w2b{s}", "10.232.3.1/24", "fd32:3::1/64", t, $"wt{s}", "10.232.3.2/24", "fd32:3::2/64");
        steps.Add(["-n", p, "route", "add", "default", "via", "10.232.1.2"]);
        steps.Add(["-n", p, "-6", "route", "add", "default", "via", "fd32:1::2"]);
        steps.Add(["-n", r1, "route", "add", "default", "via", "10.232.2.2"]);
        steps.Add(["-n", r1, "-6", "route", "add", "default", "via", "fd32:2::2"]);
        steps.Add(["-n", r2, "route", "add", "10.232.1.0/24", "via", "10.232.2.1"]);
        steps.Add(["-n", r2, "-6", "route", "add", "fd32:1::/64", "via", "fd32:2::1"]);
        steps.Add(["-n", r2, "route", "add", "unreachable", "10.232.9.0/24"]);
        steps.Add(["-n", r2, "-6", "route", "add", "unreachable", "fd32:9::/64"]);
        steps.Add(["-n", r2, "route", "add", "blackhole", "10.232.8.0/24"]);
        steps.Add(["-n", r2, "-6", "route", "add", "blackhole", "fd32:8::/64"]);
        steps.Add(["-n", t, "route", "add", "default", "via", "10.232.3.1"]);
        steps.Add(["-n", t, "-6", "route", "add", "default", "via", "fd32:3::1"]);
        foreach (string[] step in steps)
        {
            ProcessResult result = await ProcessRunner.RunAsync(Tools.Ip, step, timeout: TimeSpan.FromSeconds(30));
            if (result.ExitCode != 0)
            {
                chain.SkipReason = $"cannot build the router chain of network namespaces here (needs root and iproute2): {result.Describe()}";
                return chain;
            }
        }

        foreach (var router in (string[])[r1, r2])
        {
            await chain.SysctlAsync(router, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0");
        }

        return chain;
    }

    /// <summary>Sets sysctls inside <paramref name="ns"/> (network sysctls are per namespace).</summary>
    public async Task SysctlAsync(string ns, params string[] settings)
    {
        var result = await ProcessRunner.RunAsync(Tools.Ip, ["netns", "exec", ns, "sysctl", "-q", "-w", .. settings], timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    /// <summary>`windsock ARGS` run in the proxy namespace (where the server listens on loopback).</summary>
    public Task<ProcessResult> WindsockAsync(params string[] args) =>
        ProcessRunner.RunAsync(Tools.Ip, ["netns", "exec", Proxy, Tools.Dotnet, Tools.WindsockDll, .. args], timeout: TimeSpan.FromSeconds(120));

    public async ValueTask DisposeAsync()
    {
        foreach (var name in (string[])[Proxy, Router1, Router2, Target])
        {
            await ProcessRunner.RunAsync(Tools.Ip, ["netns", "del", name], timeout: TimeSpan.FromSeconds(30));
        }
    }

    public void SkipUnlessReady()
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }
    }
}
