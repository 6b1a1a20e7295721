using System.Net;
using System.Net.Sockets;
using System.Text;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// Headless Chromium through the proxy: it loads a page of a local site whose name only the server can resolve
/// (the server runs in a private mount namespace whose /etc/hosts alone has the name). Chromium sends SOCKS5
/// names to the proxy, so the page arrives only if the proxy resolved and connected. The server's rules allow
/// only that site: whatever else Chromium tries (background requests) is refused, so nothing leaves loopback.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class ChromiumTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Name = "intranet.windsock-only.test";
    private const string Marker = "served to chromium through windsock";

    [Fact]
    public async Task Headless_chromium_loads_a_page_whose_name_only_the_proxy_resolves()
    {
        Assert.SkipUnless(File.Exists(Chromium), "Debian's chromium is not installed (test.sh installs it)");
        using var dir = new TempDirectory();
        var hosts = Path.Combine(dir.Path, "hosts");
        await File.WriteAllTextAsync(hosts, $"127.0.0.1 localhost\n::1 localhost ip6-localhost\n127.0.0.1 {Name}\n", TestContext.Current.CancellationToken);
        var probe = await ProcessRunner.RunAsync(Tools.Unshare, ["--mount", "sh", "-c", "mount --bind \"$0\" /etc/hosts && getent hosts " + Name, hosts], timeout: TimeSpan.FromSeconds(30));
        Assert.SkipWhen(probe.ExitCode != 0, "cannot make a private mount namespace with its own /etc/hosts here (needs root and unshare --mount)");
        await Assert.ThrowsAnyAsync<SocketException>(() => Dns.GetHostAddressesAsync(Name, TestContext.Current.CancellationToken));

        await using var site = new OnePageSite($"<!doctype html><html><head><title>intranet</title></head><body><h1 id=\"proof\">{Marker}</h1></body></html>");
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, $"""
            [server]
            listen = ["127.0.0.1:0"]
            [[rule]]
            name = "the intranet site only"
            action = "allow"
            to = ["{Name}", "127.0.0.1"]
            ports = [{site.Port}]
            """, TestContext.Current.CancellationToken);
        await using var server = await WindsockProcess.StartAsync(["--config", config], hostsFile: hosts);

        var profile = Path.Combine(dir.Path, "profile");
        var chromium = await ProcessRunner.RunAsync(Chromium,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--disable-default-apps", "--disable-domain-reliability", "--metrics-recording-only", "--disable-breakpad",
            $"--user-data-dir={profile}",
            $"--proxy-server=socks5://127.0.0.1:{server.IPv4.Port}",
            "--dump-dom", $"http://{Name}:{site.Port}/",
        ], timeout: TimeSpan.FromSeconds(90));

        Assert.True(chromium.StdoutText.Contains(Marker, StringComparison.Ordinal), chromium.Describe());
        var line = await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal) && l.Contains($"dest={Name}:{site.Port}", StringComparison.Ordinal), "the request log line of Chromium's page");
        Assert.Contains("connected=127.0.0.1:", line, StringComparison.Ordinal);
        Assert.Contains("reply=0", line, StringComparison.Ordinal);
    }

    /// <summary>A loopback HTTP/1.1 server answering every request with one HTML page, then closing.</summary>
    private sealed class OnePageSite : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _serving;
        private readonly byte[] _response;

        public OnePageSite(string html)
        {
            byte[] body = Encoding.UTF8.GetBytes(html);
            _response = [.. Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), .. body];
            _listener.Start();
            _serving = ServeAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        private async Task ServeAsync()
        {
            var connections = new List<Task>();
            try
            {
                // Each connection on its own: Chromium opens spare (preconnected) sockets that may never send.
                while (true)
                {
                    connections.Add(AnswerAsync(await _listener.AcceptTcpClientAsync(_stop.Token)));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            await Task.WhenAll(connections);
        }

        private async Task AnswerAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    var request = new StringBuilder();
                    using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    deadline.CancelAfter(TimeSpan.FromSeconds(30));
                    while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        int read = await stream.ReadAsync(buffer, deadline.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }

                    await stream.WriteAsync(_response, deadline.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _serving;
            _stop.Dispose();
        }
    }
}
