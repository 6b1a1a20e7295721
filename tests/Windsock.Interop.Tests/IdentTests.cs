using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// SOCKS4 user ids checked against Debian's oidentd on loopback: curl sends the id, oidentd reports
/// who really owns curl's connection (this test's user), and Windsock compares them.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class IdentTests(LoopbackTargets targets)
{
    private const string Oidentd = "/usr/sbin/oidentd";

    [Fact]
    public async Task Require_mode_grants_the_real_user_and_refuses_an_impostor()
    {
        Assert.True(File.Exists(Oidentd), "oidentd is missing: ./test.sh installs the Debian package oidentd");
        int identPort = FreePort.Closed();
        using var oidentd = Process.Start(new ProcessStartInfo(Oidentd, ["-i", "-S", "-q", "-a", "127.0.0.1", "-p", identPort.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            await WaitForPortAsync(identPort);
            using var dir = new TempDirectory();
            var config = Path.Combine(dir.Path, "windsock.toml");
            await File.WriteAllTextAsync(config, $"[server]\nlisten = [\"127.0.0.1:0\"]\n[ident]\nmode = \"require\"\nport = {identPort}\n", TestContext.Current.CancellationToken);
            await using var server = await WindsockProcess.StartAsync("--config", config);
            var proxy = Clients.HostPort(server.IPv4);

            var honest = await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks4", proxy, "--proxy-user", $"{Environment.UserName}:");
            Expect.Body(honest, targets.Http, server);
            await server.WaitForLineAsync(l => l.Contains($"ident={Environment.UserName}", StringComparison.Ordinal), "the ident answer in the log");

            var impostor = await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks4", proxy, "--proxy-user", "someone-else:");
            Assert.True(impostor.ExitCode != 0, impostor.Describe());
            await server.WaitForLineAsync(l => l.Contains("reply=93", StringComparison.Ordinal) && l.Contains("ident mismatch", StringComparison.Ordinal), "a 93 refusal naming the mismatch");
        }
        finally
        {
            oidentd.Kill();
            await oidentd.WaitForExitAsync();
        }
    }


    /// <summary>Waits (bounded) until oidentd accepts connections.</summary>
    private static async Task WaitForPortAsync(int port)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), patience.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(25, patience.Token);
            }
        }
    }
}
