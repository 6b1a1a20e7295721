using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// Names made of a number (127.1, 2130706434, 0): a client sends them as names, the server's
/// resolver reads them as addresses without DNS. `windsock check` must accept them as the server
/// does and reach the decision the running server reaches.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class CheckNumericNameTests
{
    private const string Rules = """
        [[rule]]
        name = "not the second loopback"
        action = "deny"
        to = ["127.0.0.2"]

        [[rule]]
        name = "loopback"
        action = "allow"
        to = ["127.0.0.0/8"]
        """;

    [Fact]
    public async Task Check_decides_numeric_names_as_the_server_does()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\n\n" + Rules, ct);
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        string port = ((IPEndPoint)target.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        var shortForm = await CheckAsync(config, $"127.1:{port}");
        Assert.True(shortForm.ExitCode == 0, shortForm.Describe());
        Assert.Contains("127.1 resolves to 127.0.0.1 (a numeric name: the server's resolver reads it as this address without asking DNS)", shortForm.StdoutText, StringComparison.Ordinal);
        Assert.Contains("allow by rule 2 \"loopback\"", shortForm.StdoutText, StringComparison.Ordinal);

        var number = await CheckAsync(config, $"2130706434:{port}"); // 127.0.0.2
        Assert.True(number.ExitCode == 1, number.Describe());
        Assert.Contains("deny by rule 1 \"not the second loopback\"", number.StdoutText, StringComparison.Ordinal);

        var zero = await CheckAsync(config, $"0:{port}");
        Assert.True(zero.ExitCode == 1, zero.Describe());
        Assert.Contains("0 reads as the unspecified address 0.0.0.0, which the server's resolver refuses", zero.StdoutText, StringComparison.Ordinal);
        Assert.Contains("verdict: deny (0 does not resolve, so the server could not connect)", zero.StdoutText, StringComparison.Ordinal);

        var withAddress = await CheckAsync(config, $"127.1:{port}", "--address", "10.0.0.1");
        Assert.True(withAddress.ExitCode == 2, withAddress.Describe());

        // The server, asked for the same names by a SOCKS5 client, decides the same.
        await using var server = await WindsockProcess.StartAsync("--config", config);
        Assert.Equal(0, await ConnectByNameAsync(server.IPv4, "127.1", ushort.Parse(port, CultureInfo.InvariantCulture), ct));
        using (var accepted = await target.AcceptTcpClientAsync(ct).AsTask().WaitAsync(Timeouts.LogLine, ct))
        {
            Assert.True(accepted.Connected);
        }

        Assert.Equal(2, await ConnectByNameAsync(server.IPv4, "2130706434", ushort.Parse(port, CultureInfo.InvariantCulture), ct));
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("dest=2130706434:", StringComparison.Ordinal) && l.Contains("not the second loopback", StringComparison.Ordinal), "the denial by rule 1");
    }

    private static Task<ProcessResult> CheckAsync(string config, string to, params string[] extra) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--config", config, "--from", "127.0.0.1", "--to", to, .. extra], timeout: TimeSpan.FromSeconds(60));

    /// <summary>SOCKS5 CONNECT with ATYP DOMAINNAME, no authentication; returns REP.</summary>
    private static async Task<byte> ConnectByNameAsync(IPEndPoint proxy, string name, ushort port, CancellationToken ct)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(proxy, ct);
        var stream = client.GetStream();
        await stream.WriteAsync(new byte[] { 5, 1, 0 }, ct);
        var choice = new byte[2];
        await stream.ReadExactlyAsync(choice, ct);
        Assert.Equal(new byte[] { 5, 0 }, choice);
        var host = Encoding.ASCII.GetBytes(name);
        await stream.WriteAsync((byte[])[5, 1, 0, 3, (byte)host.Length, .. host, (byte)(port >> 8), (byte)port], ct);
        var head = new byte[2];
        await stream.ReadExactlyAsync(head, ct).AsTask().WaitAsync(Timeouts.LogLine, ct);
        return head[1];
    }
}
