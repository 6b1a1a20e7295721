using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// `windsock run` with real, unmodified programs given no proxy options. Each runs on the client side
/// of a <see cref="RunFixture"/>, which can reach nothing but the proxy and resolve nothing, and
/// fetches a site whose name only the proxy side knows; the server's request log shows each
/// connection with the bytes it carried.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed partial class RunTests(RunFixture fixture) : IClassFixture<RunFixture>
{
    [Fact]
    public async Task The_client_side_can_neither_reach_the_site_nor_resolve_its_name()
    {
        NetworkNamespacePair ns = fixture.Namespaces;
        ProcessResult lookup = await ns.RunInClientAsync(["getent", "hosts", RunFixture.SiteName]);
        Assert.True(lookup.ExitCode != 0, $"the name resolved on the client side\n{lookup.Describe()}");

        ProcessResult byName = await ns.RunInClientAsync([Tools.Curl, "-sS", "--max-time", "20", fixture.SiteUrl(10)]);
        Assert.True(byName.ExitCode == 6, $"direct curl by name should fail to resolve (exit 6)\n{byName.Describe()}");

        foreach (string host in (string[])["127.0.0.1", NetworkNamespacePair.ProxyAddress])
        {
            ProcessResult byAddress = await ns.RunInClientAsync([Tools.Curl, "-sS", "--max-time", "20", $"http://{host}:{fixture.SitePort}/bytes/10"]);
            Assert.True(byAddress.ExitCode == 7, $"direct curl to {host} should fail to connect (exit 7)\n{byAddress.Describe()}");
        }
    }

    [Fact]
    public async Task Curl_fetches_the_site_by_name_through_the_proxy()
    {
        const int Size = 100_003;
        ProcessResult curl = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Tools.Curl, "-sS", "--max-time", "60", fixture.SiteUrl(Size)]);

        Assert.True(curl.ExitCode == 0 && curl.Stdout.AsSpan().SequenceEqual(RunFixture.Pattern(Size)),
            $"curl under windsock run did not get the site's {Size} bytes\n{curl.Describe()}\n{fixture.Server.Transcript()}");
        await ExpectProxiedAsync(Size, count: 1);
    }

    [Fact]
    public async Task Explain_prints_the_engine_and_the_route_of_each_lookup_and_connection()
    {
        const int Size = 1_009;
        ProcessResult curl = await fixture.WindsockRunAsync(["--explain", "--proxy", fixture.Proxy, "--", Tools.Curl, "-sS", fixture.SiteUrl(Size)]);

        Assert.True(curl.ExitCode == 0, curl.Describe());
        Assert.True(curl.StderrMentions("windsock run: engine preload (/usr/bin/curl is dynamically linked")
                && curl.StderrMentions($"lookup of {RunFixture.SiteName}: mapped to 198.18.")
                && curl.StderrMentions($"connect {RunFixture.SiteName}:{fixture.SitePort} (mapped 198.18.")
                && curl.StderrMentions($"via {fixture.Proxy} (--proxy)"),
            $"--explain did not show the engine, the mapping and the route\n{curl.Describe()}");
        await ExpectProxiedAsync(Size, count: 1);
    }

    [Fact]
    public async Task Python_urllib_from_a_pool_of_32_threads_gets_every_answer_through_the_proxy()
    {
        const int Size = 20_011;
        const int Requests = 64;
        string script = $$"""
            import concurrent.futures, hashlib, urllib.request
            def fetch(_):
                with urllib.request.urlopen("{{fixture.SiteUrl(Size)}}", timeout=60) as r:
                    return hashlib.sha256(r.read()).hexdigest()
            with concurrent.futures.ThreadPoolExecutor(32) as pool:
                digests = list(pool.map(fetch, range({{Requests}})))
            print(len(digests), " ".join(sorted(set(digests))))
            """;
        ProcessResult python = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Tools.Python, "-c", script]);

        Assert.True(python.ExitCode == 0 && python.StdoutText.Trim() == $"{Requests} {RunFixture.PatternSha256(Size)}",
            $"want '{Requests} {RunFixture.PatternSha256(Size)}'\n{python.Describe()}\n{fixture.Server.Transcript()}");
        await ExpectProxiedAsync(Size, Requests);
    }

    [Fact]
    public async Task Python_sees_the_mapped_address_as_peer_and_its_name_in_reverse()
    {
        string script = $$"""
            import socket
            s = socket.create_connection(("{{RunFixture.SiteName}}", {{fixture.SitePort}}), timeout=30)
            peer = s.getpeername()
            print(peer[0], peer[1])
            print(socket.getnameinfo(peer, 0)[0])
            print(socket.gethostbyaddr(peer[0])[0])
            """;
        ProcessResult python = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Tools.Python, "-c", script]);

        string[] lines = python.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(python.ExitCode == 0 && lines.Length == 3, python.Describe());
        string[] peer = lines[0].Split(' ');
        Assert.True(System.Net.IPNetwork.Parse("198.18.0.0/15").Contains(System.Net.IPAddress.Parse(peer[0])) && peer[1] == fixture.SitePort.ToString(CultureInfo.InvariantCulture),
            $"getpeername should show the mapped address and the site's port\n{python.Describe()}");
        Assert.Equal(RunFixture.SiteName, lines[1]);
        Assert.Equal(RunFixture.SiteName, lines[2]);
    }

    [Fact]
    public async Task An_IPv6_socket_to_the_names_IPv6_mapped_address_goes_through_the_IPv4_proxy()
    {
        const int Size = 12_007;
        string script = $$"""
            import hashlib, socket
            family, kind, proto, _, address = socket.getaddrinfo("{{RunFixture.SiteName}}", {{fixture.SitePort}}, socket.AF_INET6, socket.SOCK_STREAM)[0]
            s = socket.socket(family, kind, proto)
            s.settimeout(30)
            s.connect(address)
            s.sendall(b"GET /bytes/{{Size}} HTTP/1.0\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            print(s.getpeername()[0])
            print(hashlib.sha256(data.split(b"\r\n\r\n", 1)[1]).hexdigest())
            """;
        ProcessResult python = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Tools.Python, "-c", script]);

        string[] lines = python.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(python.ExitCode == 0 && lines.Length == 2, python.Describe());
        Assert.True(System.Net.IPNetwork.Parse("fd57:696e:6473::/64").Contains(System.Net.IPAddress.Parse(lines[0])), $"the peer should be the IPv6 mapped address\n{python.Describe()}");
        Assert.Equal(RunFixture.PatternSha256(Size), lines[1]);
        await ExpectProxiedAsync(Size, count: 1);
    }

    [Fact]
    public async Task Ncat_with_its_non_blocking_connect_gets_the_site_through_the_proxy()
    {
        const int Size = 30_011;
        byte[] request = Encoding.ASCII.GetBytes($"GET /bytes/{Size} HTTP/1.0\r\nHost: {RunFixture.SiteName}\r\n\r\n");
        ProcessResult ncat = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Tools.Ncat, RunFixture.SiteName, fixture.SitePort.ToString(CultureInfo.InvariantCulture)], request);

        int headerEnd = ncat.Stdout.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(ncat.ExitCode == 0 && headerEnd > 0 && ncat.Stdout.AsSpan(headerEnd + 4).SequenceEqual(RunFixture.Pattern(Size)),
            $"ncat under windsock run did not get the site's {Size} bytes\n{ncat.Describe()}");
        await ExpectProxiedAsync(Size, count: 1);
    }

    [Fact]
    public async Task Node_event_loop_fetches_eight_at_once_through_the_proxy()
    {
        const int Size = 40_009;
        string script = $$"""
            const http = require('http'), crypto = require('crypto');
            let done = 0, digests = new Set();
            for (let i = 0; i < 8; i++) {
              http.get('{{fixture.SiteUrl(Size)}}', res => {
                const hash = crypto.createHash('sha256');
                res.on('data', d => hash.update(d));
                res.on('end', () => { digests.add(hash.digest('hex')); if (++done === 8) console.log(done, [...digests].join(' ')); });
              }).on('error', e => { console.error('error', e.message); process.exitCode = 1; });
            }
            """;
        ProcessResult node = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Tools.Node, "-e", script]);

        Assert.True(node.ExitCode == 0 && node.StdoutText.Trim() == $"8 {RunFixture.PatternSha256(Size)}",
            $"want '8 {RunFixture.PatternSha256(Size)}'\n{node.Describe()}\n{fixture.Server.Transcript()}");
        await ExpectProxiedAsync(Size, count: 8);
    }

    [Fact]
    public async Task A_routing_file_deny_gives_EACCES_and_one_line_naming_the_rule()
    {
        string routes = Path.Combine(fixture.Directory, "deny-client.toml");
        await File.WriteAllTextAsync(routes, $"""
            [[rule]]
            name = "blocked"
            action = "deny"
            to = ["blocked.test"]

            [[rule]]
            action = "via"
            proxies = ["{fixture.Proxy}"]
            """);
        ProcessResult python = await fixture.WindsockRunAsync(["--client-config", routes, "--", Tools.Python, "-c", ConnectErrno("blocked.test", 80)]);

        Assert.True(python.ExitCode == 0 && python.StdoutText.Trim() == "13", $"want errno 13 (EACCES)\n{python.Describe()}");
        Assert.Equal($"windsock: connect to blocked.test:80 denied by rule 1 \"blocked\" ({routes}:1:1) (the routing file says deny)", python.Stderr.Trim());
        Assert.DoesNotContain(fixture.Server.StdoutLines, l => l.Contains("dest=blocked.test", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_server_denial_gives_EACCES_and_one_line_with_the_servers_reason()
    {
        ProcessResult python = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Tools.Python, "-c", ConnectErrno(RunFixture.ForbiddenName, fixture.SitePort)]);

        Assert.True(python.ExitCode == 0 && python.StdoutText.Trim() == "13", $"want errno 13 (EACCES)\n{python.Describe()}");
        Assert.Equal(
            $"windsock: connect to {RunFixture.ForbiddenName}:{fixture.SitePort} denied by proxy {fixture.Proxy} ({RunFixture.ServerReason}; reply 2, connection not allowed by ruleset)",
            python.Stderr.Trim());
        await fixture.Server.WaitForLineAsync(l => l.Contains($"dest={RunFixture.ForbiddenName}:{fixture.SitePort}", StringComparison.Ordinal) && l.Contains("reply=2", StringComparison.Ordinal), "the server's denial");
    }

    [Fact]
    public async Task Windsock_connect_shows_the_servers_reason_for_a_denial()
    {
        ProcessResult connect = await fixture.Namespaces.RunInClientAsync(
            [Tools.Dotnet, Tools.WindsockDll, "connect", RunFixture.ForbiddenName, fixture.SitePort.ToString(CultureInfo.InvariantCulture), "--proxy", fixture.Proxy], stdin: []);

        Assert.Equal(1, connect.ExitCode);
        Assert.Equal(
            $"windsock connect: proxy {NetworkNamespacePair.ProxyAddress}:{fixture.Server.IPv4.Port} refused: connection not allowed by ruleset (reply 2): {RunFixture.ServerReason}",
            connect.Stderr.Trim());
    }

    [Fact]
    public async Task The_exit_status_is_the_programs()
    {
        ProcessResult sh = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", "/bin/sh", "-c", "exit 7"]);
        Assert.True(sh.ExitCode == 7, sh.Describe());
    }

    [Fact]
    public async Task A_child_of_the_program_is_routed_too()
    {
        const int Size = 5_003;
        ProcessResult sh = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", "/bin/sh", "-c", $"{Tools.Curl} -sS {fixture.SiteUrl(Size)} | sha256sum"]);
        Assert.True(sh.ExitCode == 0 && sh.StdoutText.StartsWith(RunFixture.PatternSha256(Size), StringComparison.Ordinal), sh.Describe());
        await ExpectProxiedAsync(Size, count: 1);
    }

    [Fact]
    public async Task A_child_started_with_an_empty_environment_stays_inside()
    {
        const int Size = 5_009;
        ProcessResult env = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", "/usr/bin/env", "-i", Tools.Curl, "-sS", fixture.SiteUrl(Size)]);
        Assert.True(env.ExitCode == 0 && env.Stdout.AsSpan().SequenceEqual(RunFixture.Pattern(Size)), $"env -i dropped the preload\n{env.Describe()}");
        await ExpectProxiedAsync(Size, count: 1);
    }

    /// <summary>A script printing the errno of a connect to HOST:PORT (0 when it connected).</summary>
    private static string ConnectErrno(string host, int port) => $$"""
        import socket
        try:
            socket.create_connection(("{{host}}", {{port}}), timeout=30)
            print(0)
        except OSError as e:
            print(e.errno)
        """;

    /// <summary>The server's end lines show <paramref name="count"/> sessions from the client side to the site, each carrying the answer of /bytes/SIZE.</summary>
    private async Task ExpectProxiedAsync(int size, int count)
    {
        string dest = $"dest={RunFixture.SiteName}:{fixture.SitePort}";
        bool Carried(string line)
        {
            Match bytes = BytesDown().Match(line);
            return line.Contains(" end ", StringComparison.Ordinal) && line.Contains(dest, StringComparison.Ordinal)
                && line.Contains($"client={NetworkNamespacePair.ClientAddress}:", StringComparison.Ordinal)
                && bytes.Success && long.Parse(bytes.Groups[1].Value, CultureInfo.InvariantCulture) is var down && down >= size && down < size + 1024;
        }

        await fixture.Server.WaitUntilAsync(lines => lines.Count(Carried) >= count, Timeouts.LogLine, $"{count} end line(s) for {dest} carrying {size} bytes");
    }

    [GeneratedRegex(@"bytes_down=(\d+)")]
    private static partial Regex BytesDown();
}
