using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// Debian's Dante (danted, package dante-server) on a free loopback port, without authentication, allowing CONNECT
/// between loopback addresses: an independent SOCKS5 server as an upstream hop. Skips the test when it is not installed.
/// </summary>
public sealed class DanteServer : IAsyncDisposable
{
    private const string DantePath = "/usr/sbin/danted";

    private readonly Process _process;
    private readonly TempDirectory _directory;

    private DanteServer(Process process, TempDirectory directory, IPEndPoint endPoint)
    {
        _process = process;
        _directory = directory;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public static async Task<DanteServer> StartAsync()
    {
        if (!File.Exists(DantePath))
        {
            Assert.Skip($"{DantePath} is not installed; ./test.sh installs the Debian package dante-server");
        }

        var directory = new TempDirectory();
        int port = FreePort.Closed();
        string config = Path.Combine(directory.Path, "danted.conf");
        bool root = Environment.UserName == "root";
        await File.WriteAllTextAsync(config, $$"""
            logoutput: {{Path.Combine(directory.Path, "danted.log")}}
            internal: 127.0.0.1 port = {{port}}
            external: 127.0.0.1
            clientmethod: none
            socksmethod: none
            {{(root ? "user.privileged: root\nuser.unprivileged: nobody" : "")}}
            client pass {
              from: 127.0.0.0/8 to: 0.0.0.0/0
              log: error
            }
            socks pass {
              from: 127.0.0.0/8 to: 127.0.0.0/8
              command: connect
              log: connect
            }
            """);
        var info = new ProcessStartInfo(DantePath) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in new[] { "-f", config, "-p", Path.Combine(directory.Path, "danted.pid") })
        {
            info.ArgumentList.Add(argument);
        }

        var dante = new DanteServer(Process.Start(info)!, directory, new IPEndPoint(IPAddress.Loopback, port));
        try
        {
            await dante.WaitUntilAcceptingAsync();
            return dante;
        }
        catch
        {
            await dante.DisposeAsync();
            throw;
        }
    }

    /// <summary>Dante's own log (its connect lines name the clients it served).</summary>
    public string Log()
    {
        string path = Path.Combine(_directory.Path, "danted.log");
        return File.Exists(path) ? File.ReadAllText(path) : string.Empty;
    }

    /// <summary>No readiness signal to await: connect until it accepts, bounded, failing at once if it exits.</summary>
    private async Task WaitUntilAcceptingAsync()
    {
        using var bound = new CancellationTokenSource(Timeouts.Start);
        while (true)
        {
            if (_process.HasExited)
            {
                string error = await _process.StandardError.ReadToEndAsync(bound.Token);
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"danted exited with {_process.ExitCode}: {error} {Log()}"));
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(EndPoint, bound.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), bound.Token);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Dante forks helpers: end the tree this test started, and nothing else.
            _process.Kill(entireProcessTree: true);
            using var bound = new CancellationTokenSource(Timeouts.Stop);
            await _process.WaitForExitAsync(bound.Token);
        }

        _process.Dispose();
        _directory.Dispose();
    }
}
