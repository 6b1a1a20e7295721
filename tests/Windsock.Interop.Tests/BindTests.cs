using System.Globalization;
using System.Net;
using System.Text;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// BIND with real clients: the `socks` npm package (the client and, on its 'bound' event, the
/// peer connecting back), and an active-mode FTP download whose data connection goes through a
/// SOCKS BIND made by Dante's socksify around a stock FTP client.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class BindTests
{
    private const int PayloadLength = 1024 * 1024;

    [Theory]
    [InlineData(5, "127.0.0.1")]
    [InlineData(4, "127.0.0.1")]
    [InlineData(5, "::1")]
    public async Task Node_socks_bind_relays_both_ways(int version, string host)
    {
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0", "--listen", "[::1]:0");
        var proxy = host == "::1" ? server.IPv6 : server.IPv4;

        var result = await ProcessRunner.RunAsync(Tools.Node,
        [
            Path.Combine(Tools.NodeDirectory, "bind.js"),
            proxy.Address.ToString(), proxy.Port.ToString(CultureInfo.InvariantCulture),
            version.ToString(CultureInfo.InvariantCulture), host, PayloadLength.ToString(CultureInfo.InvariantCulture),
        ]);

        Expect.Success(result, server);
        var lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Contains("up OK") && lines.Contains("down OK"), $"payloads differ\n{result.Describe()}\n{server.Transcript()}");
        var peer = lines.Single(l => l.StartsWith("peer ", StringComparison.Ordinal)).Split(' ');
        var peerEndPoint = new IPEndPoint(IPAddress.Parse(peer[1]), int.Parse(peer[2], CultureInfo.InvariantCulture));
        var announcedPort = lines.Single(l => l.StartsWith("bound ", StringComparison.Ordinal)).Split(' ')[2];

        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("command=bind", StringComparison.Ordinal), "the BIND end line");
        Assert.Contains($"announced={new IPEndPoint(proxy.Address, int.Parse(announcedPort, CultureInfo.InvariantCulture))}", end, StringComparison.Ordinal);
        Assert.Contains($"peer={peerEndPoint}", end, StringComparison.Ordinal);
        Assert.Contains($"bytes_up={PayloadLength} bytes_down={PayloadLength}", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Active_ftp_download_through_socksify_uses_bind()
    {
        using var dir = new TempDirectory();
        var root = Directory.CreateDirectory(Path.Combine(dir.Path, "root")).FullName;
        var file = Clients.Payload(3 * 1024 * 1024 + 17, seed: 21);
        await File.WriteAllBytesAsync(Path.Combine(root, "data.bin"), file);
        var downloaded = Path.Combine(dir.Path, "downloaded.bin");

        await using var ftpServer = await LoopbackFtpServer.StartAsync(root);
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0");
        var socksConf = Path.Combine(dir.Path, "socks.conf");
        await File.WriteAllTextAsync(socksConf, $$"""
            logoutput: stderr
            route {
              from: 0.0.0.0/0 to: 0.0.0.0/0 via: 127.0.0.1 port = {{server.IPv4.Port}}
              proxyprotocol: socks_v5
              method: none
            }
            """);

        // "passive off": the server connects back to the PORT address, which socksify takes
        // from a SOCKS BIND, so the data connection can only come through Windsock.
        var commands = $"""
            open 127.0.0.1 {ftpServer.Port}
            user anonymous windsock@
            binary
            passive off
            get data.bin {downloaded}
            quit

            """;
        var environment = new Dictionary<string, string> { ["SOCKS_CONF"] = socksConf };
        var result = await ProcessRunner.RunAsync(Tools.Socksify, [Tools.Ftp, "-n", "-v"],
            stdin: Encoding.ASCII.GetBytes(commands), environment: environment);

        Expect.Success(result, server);
        Assert.True(File.Exists(downloaded), $"nothing downloaded\n{result.Describe()}\n{server.Transcript()}");
        var got = await File.ReadAllBytesAsync(downloaded);
        Assert.True(got.AsSpan().SequenceEqual(file),
            $"download differs: {got.Length} bytes sha256 {Clients.Sha256(got)}, want {file.Length} bytes sha256 {Clients.Sha256(file)}\n{result.Describe()}\n{server.Transcript()}");

        // The file's bytes came over a BIND session: the server's log has its end line.
        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("command=bind", StringComparison.Ordinal), "the BIND end line");
        Assert.Contains("announced=127.0.0.1:", end, StringComparison.Ordinal);
        Assert.Contains("peer=127.0.0.1:", end, StringComparison.Ordinal);
        Assert.Contains($"bytes_down={file.Length}", end, StringComparison.Ordinal);
    }
}
