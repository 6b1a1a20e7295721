using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// The network of docs/scale-out.md, made by the test in five network namespaces (`ip netns add`) joined
/// by veth pairs to the balancer's namespace, which also routes between them:
/// <code>
///   client 10.232.1.2-4 ── 10.232.1.1 balancer (HAProxy :1080) 10.232.2.1 ── 10.232.2.2/.3 node1
///                                                              10.232.3.1 ── 10.232.3.2/.3 node2
///                                                              10.232.4.1 ── 10.232.4.2    target
/// </code>
/// The client has routes to its own link and to the nodes' links only: it cannot reach the target but
/// through a node, and reaches a node's UDP relay directly. Addresses are private and exist only inside
/// these namespaces; the names carry a random suffix, so runs do not meet. Needs root.
/// </summary>
public sealed class FleetNetwork : IAsyncDisposable
{
    public const string Vip = "10.232.1.1";
    public const string ClientAddress = "10.232.1.2";

    /// <summary>The client address the rule "the lab bench stays in" denies.</summary>
    public const string BenchAddress = "10.232.1.3";

    /// <summary>A client address the reload denies (allowed before it).</summary>
    public const string LateAddress = "10.232.1.4";

    public const string TargetAddress = "10.232.4.2";

    private readonly string _suffix;

    private FleetNetwork(string suffix)
    {
        _suffix = suffix;
    }

    public string Client => $"wsf-c-{_suffix}";

    public string Balancer => $"wsf-b-{_suffix}";

    public string Target => $"wsf-t-{_suffix}";

    public string Node(int number) => $"wsf-n{number}-{_suffix}";

    public string? SkipReason { get; private set; }

    public static async Task<FleetNetwork> CreateAsync()
    {
        string s = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        var fleet = new FleetNetwork(s);
        string c = fleet.Client, b = fleet.Balancer, t = fleet.Target, n1 = fleet.Node(1), n2 = fleet.Node(2);
        var steps = new List<string[]>();
        foreach (string ns in (string[])[c, b, n1, n2, t])
        {
            steps.Add(["netns", "add", ns]);
            steps.Add(["-n", ns, "link", "set", "lo", "up"]);
        }

        // One veth pair per leaf, its balancer end named after the leaf.
        void Link(string leaf, string leafEnd, string balancerEnd, string[] leafAddresses, string balancerAddress)
        {
            steps.Add(["link", "add", leafEnd, "netns", leaf, "type", "veth", "peer", "name", balancerEnd, "netns", b]);
            foreach (string address in leafAddresses)
            {
                steps.Add(["-n", leaf, "addr", "add", address, "dev", leafEnd]);
            }

            steps.Add(["-n", b, "addr", "add", balancerAddress, "dev", balancerEnd]);
            steps.Add(["-n", leaf, "link", "set", leafEnd, "up"]);
            steps.Add(["-n", b, "link", "set", balancerEnd, "up"]);
        }

        Link(c, $"wfc{s}", $"wfbc{s}", ["10.232.1.2/24", "10.232.1.3/24", "10.232.1.4/24"], "10.232.1.1/24");
        Link(n1, $"wf1{s}", $"wfb1{s}", ["10.232.2.2/24", "10.232.2.3/24"], "10.232.2.1/24");
        Link(n2, $"wf2{s}", $"wfb2{s}", ["10.232.3.2/24", "10.232.3.3/24"], "10.232.3.1/24");
        Link(t, $"wft{s}", $"wfbt{s}", ["10.232.4.2/24"], "10.232.4.1/24");
        steps.Add(["-n", c, "route", "add", "10.232.2.0/24", "via", Vip]);
        steps.Add(["-n", c, "route", "add", "10.232.3.0/24", "via", Vip]);
        steps.Add(["-n", n1, "route", "add", "default", "via", "10.232.2.1"]);
        steps.Add(["-n", n2, "route", "add", "default", "via", "10.232.3.1"]);
        steps.Add(["-n", t, "route", "add", "default", "via", "10.232.4.1"]);
        foreach (string[] step in steps)
        {
            ProcessResult result = await ProcessRunner.RunAsync(Tools.Ip, step, timeout: TimeSpan.FromSeconds(30));
            if (result.ExitCode != 0)
            {
                fleet.SkipReason = $"cannot make the fleet's network namespaces here (needs root and iproute2): {result.Describe()}";
                return fleet;
            }
        }

        // The balancer's namespace routes the client's UDP to the nodes and the nodes' connections to the target.
        ProcessResult forward = await ProcessRunner.RunAsync(Tools.Ip, ["netns", "exec", b, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], timeout: TimeSpan.FromSeconds(30));
        if (forward.ExitCode != 0)
        {
            fleet.SkipReason = $"cannot turn on forwarding in the balancer's namespace: {forward.Describe()}";
        }

        return fleet;
    }

    /// <summary>COMMAND run in namespace <paramref name="ns"/>.</summary>
    public static Task<ProcessResult> RunInAsync(string ns, IEnumerable<string> command, TimeSpan? timeout = null) =>
        ProcessRunner.RunAsync(Tools.Ip, ["netns", "exec", ns, .. command], timeout: timeout);

    /// <summary>A long-running COMMAND in namespace <paramref name="ns"/>, killed on dispose.</summary>
    public static BackgroundCommand StartIn(string ns, IEnumerable<string> command) =>
        BackgroundCommand.Start(Tools.Ip, ["netns", "exec", ns, .. command]);

    public void SkipUnlessReady()
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (string ns in (string[])[Client, Balancer, Node(1), Node(2), Target])
        {
            // Deleting a namespace deletes its veth ends, and with them the peers.
            await ProcessRunner.RunAsync(Tools.Ip, ["netns", "del", ns], timeout: TimeSpan.FromSeconds(30));
        }
    }
}
