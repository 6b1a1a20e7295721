using System.Net.Sockets;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// Live reload of the real process: SIGHUP and file changes apply a new configuration to new
/// requests, a bad file keeps the running one, and sessions in progress are not disturbed.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class ReloadTests(LoopbackTargets targets)
{
    private static string Config(string clients) => $"[server]\nlisten = [\"127.0.0.1:0\"]\nallowed_clients = [{clients}]\n";

    [Fact]
    public async Task Sighup_reloads_a_server_started_with_hangups_ignored_by_nohup()
    {
        // nohup leaves SIGHUP ignored, inherited across exec, and .NET then never delivers it: before the server put
        // the disposition back, SIGHUP under nohup was silently no reload at all.
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, Config("\"192.0.2.0/24\""), TestContext.Current.CancellationToken);
        await using var server = await WindsockProcess.StartAsync(["--config", config], null, null, null, null, wrapper: ["/usr/bin/nohup"]);

        server.Hangup();
        await server.WaitForLineAsync(l => l.Contains("configuration reloaded (SIGHUP)", StringComparison.Ordinal), "the SIGHUP reload");
        server.Hangup();
        await server.WaitUntilAsync(lines => lines.Count(l => l.Contains("configuration reloaded (SIGHUP)", StringComparison.Ordinal)) >= 2, Timeouts.LogLine, "the second SIGHUP reload");
        Assert.False(server.HasExited, "SIGHUP must reload, never end the server");
    }

    [Fact]
    public async Task Sighup_applies_a_new_configuration_and_a_bad_one_changes_nothing()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, Config("\"192.0.2.0/24\""), TestContext.Current.CancellationToken);
        await using var server = await WindsockProcess.StartAsync("--config", config);
        var proxy = Clients.HostPort(server.IPv4);

        var refused = await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy);
        Assert.True(refused.ExitCode != 0, refused.Describe());

        // An established relay must survive every reload below.
        using var survivor = await OpenEchoSessionAfterAsync(server, config);

        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"\n", TestContext.Current.CancellationToken); // broken
        server.Hangup();
        await server.WaitForLineAsync(l => l.Contains("reload failed (SIGHUP)", StringComparison.Ordinal) && l.Contains("windsock.toml:3:1: error:", StringComparison.Ordinal), "the reload failure with its file, line and column");
        var stillOld = await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy);
        Assert.True(stillOld.ExitCode != 0, "a bad file must leave the running configuration in force\n" + stillOld.Describe());

        await EchoAsync(survivor, "still relaying"u8.ToArray());
    }

    [Fact]
    public async Task A_user_added_to_the_users_file_can_log_in_without_a_restart()
    {
        using var dir = new TempDirectory();
        var users = Path.Combine(dir.Path, "users");
        await Passwd.AddUserAsync(users, "alice", "alice-pass");
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0", "--users", users);
        var proxy = Clients.HostPort(server.IPv4);
        var before = await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy, "--proxy-user", "bob:bob-pass");
        Assert.True(before.ExitCode != 0, before.Describe());

        await Passwd.AddUserAsync(users, "bob", "bob-pass");
        await server.WaitForLineAsync(l => l.Contains("configuration reloaded (a file changed)", StringComparison.Ordinal), "the reload after passwd changed the users file");

        Expect.Body(await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy, "--proxy-user", "bob:bob-pass"), targets.Http, server);
    }

    /// <summary>Allows loopback by rewriting the file (the watcher reloads), opens a relay, returns it.</summary>
    private async Task<Socket> OpenEchoSessionAfterAsync(WindsockProcess server, string config)
    {
        await File.WriteAllTextAsync(config, Config("\"127.0.0.0/8\""), TestContext.Current.CancellationToken);
        await server.WaitForLineAsync(l => l.Contains("configuration reloaded", StringComparison.Ordinal), "the reload after the file changed");
        Expect.Body(await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", Clients.HostPort(server.IPv4)), targets.Http, server);

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.IPv4, TestContext.Current.CancellationToken);
        var port = (ushort)targets.Echo.Port;
        await socket.SendAsync(new byte[] { 5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, (byte)(port >> 8), (byte)port }, SocketFlags.None);
        var reply = new byte[2 + 10];
        await ReadExactlyAsync(socket, reply);
        Assert.Equal(new byte[] { 5, 0, 5, 0 }, reply[..4]);
        await EchoAsync(socket, "before the reload"u8.ToArray());

        // Back to refusing loopback, by signal this time; the relay above keeps going.
        await File.WriteAllTextAsync(config, Config("\"192.0.2.0/24\""), TestContext.Current.CancellationToken);
        server.Hangup();
        await server.WaitUntilAsync(lines => lines.Count(l => l.Contains("configuration reloaded", StringComparison.Ordinal)) >= 2, Timeouts.LogLine, "the second reload");
        var refusedAgain = await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", Clients.HostPort(server.IPv4));
        Assert.True(refusedAgain.ExitCode != 0, refusedAgain.Describe());
        await EchoAsync(socket, "after the reload"u8.ToArray());
        return socket;
    }

    private static async Task EchoAsync(Socket socket, byte[] payload)
    {
        await socket.SendAsync(payload, SocketFlags.None);
        var back = new byte[payload.Length];
        await ReadExactlyAsync(socket, back);
        Assert.Equal(payload, back);
    }

    private static async Task ReadExactlyAsync(Socket socket, byte[] buffer)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cts.Token);
            Assert.True(n > 0, $"closed after {filled} of {buffer.Length} bytes");
            filled += n;
        }
    }
}
