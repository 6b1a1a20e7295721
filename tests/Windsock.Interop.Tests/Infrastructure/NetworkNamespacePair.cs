using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// Two network namespaces made by the test (`ip netns add`), joined by one veth pair and nothing
/// else: the client side's only route is to the proxy side's address, and its resolver
/// (/etc/netns/NAME/resolv.conf, which `ip netns exec` mounts over /etc/resolv.conf) points at its
/// own loopback, where nothing listens. So a program run on the client side that tried to go
/// direct, or to ask DNS, fails. Needs root; <see cref="SkipReason"/> says why not otherwise.
/// </summary>
public sealed class NetworkNamespacePair : IAsyncDisposable
{
    /// <summary>The link's addresses: private, and only ever configured inside the two namespaces.</summary>
    public const string ClientAddress = "10.231.0.1";
    public const string ProxyAddress = "10.231.0.2";

    private NetworkNamespacePair(string client, string proxy)
    {
        Client = client;
        Proxy = proxy;
    }

    public string Client { get; }

    public string Proxy { get; }

    public string? SkipReason { get; private set; }

    public static async Task<NetworkNamespacePair> CreateAsync()
    {
        string suffix = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        var pair = new NetworkNamespacePair($"wsrun-c-{suffix}", $"wsrun-p-{suffix}");
        string[][] steps =
        [
            ["netns", "add", pair.Client],
            ["netns", "add", pair.Proxy],
            ["link", "add", $"wsc{suffix}", "netns", pair.Client, "type", "veth", "peer", "name", $"wsp{suffix}", "netns", pair.Proxy],
            ["-n", pair.Client, "addr", "add", $"{ClientAddress}/30", "dev", $"wsc{suffix}"],
            ["-n", pair.Proxy, "addr", "add", $"{ProxyAddress}/30", "dev", $"wsp{suffix}"],
            ["-n", pair.Client, "link", "set", $"wsc{suffix}", "up"],
            ["-n", pair.Proxy, "link", "set", $"wsp{suffix}", "up"],
            ["-n", pair.Client, "link", "set", "lo", "up"],
            ["-n", pair.Proxy, "link", "set", "lo", "up"],
        ];
        foreach (string[] step in steps)
        {
            ProcessResult result = await ProcessRunner.RunAsync(Tools.Ip, step, timeout: TimeSpan.FromSeconds(30));
            if (result.ExitCode != 0)
            {
                pair.SkipReason = $"cannot make network namespaces here (needs root and iproute2): {result.Describe()}";
                return pair;
            }
        }

        // No usable resolver on the client side: its own loopback, where nothing answers.
        string etc = Path.Combine("/etc/netns", pair.Client);
        Directory.CreateDirectory(etc);
        await File.WriteAllTextAsync(Path.Combine(etc, "resolv.conf"), "nameserver 127.0.0.1\n");
        return pair;
    }

    /// <summary>COMMAND run on the client side.</summary>
    public Task<ProcessResult> RunInClientAsync(IEnumerable<string> command, byte[]? stdin = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync(Tools.Ip, ["netns", "exec", Client, .. command], stdin, timeout, environment);

    public async ValueTask DisposeAsync()
    {
        foreach (string name in (string[])[Client, Proxy])
        {
            // Deleting a namespace also deletes its end of the veth pair, and with it the other end.
            await ProcessRunner.RunAsync(Tools.Ip, ["netns", "del", name], timeout: TimeSpan.FromSeconds(30));
        }

        try
        {
            Directory.Delete(Path.Combine("/etc/netns", Client), recursive: true);
        }
        catch (IOException)
        {
            // Already gone.
        }
    }

    /// <summary>Skips the calling test where namespaces cannot be made.</summary>
    public void SkipUnlessReady()
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }
    }
}
