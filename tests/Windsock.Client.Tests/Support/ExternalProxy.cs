using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Windsock.Client.Tests.Support;

/// <summary>
/// An independent SOCKS server from Debian (Dante, microsocks) run by the test on a free loopback port,
/// so the client is proven against an implementation that shares no code with ours. Missing binaries
/// skip the test and name the package to install.
/// </summary>
internal sealed class ExternalProxy : IAsyncDisposable
{
    public const string DantePath = "/usr/sbin/danted";
    public const string MicrosocksPath = "/usr/bin/microsocks";

    private readonly Process _process;
    private readonly string? _workDirectory;

    private ExternalProxy(Process process, IPEndPoint endPoint, string? workDirectory)
    {
        _process = process;
        EndPoint = endPoint;
        _workDirectory = workDirectory;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>
    /// Dante with every command allowed between loopback addresses: CONNECT, BIND and UDP ASSOCIATE,
    /// and the incoming BIND connection and UDP replies.
    /// </summary>
    public static async Task<ExternalProxy> StartDanteAsync()
    {
        SkipUnlessInstalled(DantePath, "dante-server");
        int port = FreePort.Closed();
        var directory = Directory.CreateTempSubdirectory("windsock-dante-").FullName;
        var config = Path.Combine(directory, "danted.conf");
        bool root = Environment.UserName == "root";
        File.WriteAllText(config, $"""
            logoutput: {Path.Combine(directory, "danted.log")}
            internal: 127.0.0.1 port = {port}
            external: 127.0.0.1
            clientmethod: none
            socksmethod: none
            {(root ? "user.privileged: root\nuser.unprivileged: nobody" : "")}
            client pass {'{'}
              from: 127.0.0.0/8 to: 0.0.0.0/0
              log: error
            {'}'}
            socks pass {'{'}
              from: 127.0.0.0/8 to: 0.0.0.0/0
              command: bind connect udpassociate
              log: error
            {'}'}
            socks pass {'{'}
              from: 0.0.0.0/0 to: 127.0.0.0/8
              command: bindreply udpreply
              log: error
            {'}'}
            """);
        return await StartAsync(DantePath, ["-f", config, "-p", Path.Combine(directory, "danted.pid")], port, directory);
    }

    public static async Task<ExternalProxy> StartMicrosocksAsync(string? user = null, string? password = null)
    {
        SkipUnlessInstalled(MicrosocksPath, "microsocks");
        int port = FreePort.Closed();
        List<string> arguments = ["-i", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        if (user is not null)
        {
            arguments.AddRange(["-u", user, "-P", password!]);
        }

        return await StartAsync(MicrosocksPath, arguments, port, null);
    }

    private static void SkipUnlessInstalled(string path, string package)
    {
        if (!File.Exists(path))
        {
            Assert.Skip($"{path} is not installed; install the Debian package '{package}' to run this test.");
        }
    }

    private static async Task<ExternalProxy> StartAsync(string path, IEnumerable<string> arguments, int port, string? directory)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        var proxy = new ExternalProxy(process, endPoint, directory);
        try
        {
            await proxy.WaitUntilAcceptingAsync(path);
            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A separate process gives no readiness signal we can await, so try to connect until it accepts:
    /// a bounded retry (10 s) that fails at once if the process exits.
    /// </summary>
    private async Task WaitUntilAcceptingAsync(string path)
    {
        using var cts = Bounded.Cts();
        while (true)
        {
            if (_process.HasExited)
            {
                string log = _workDirectory is null ? "" : ReadLog();
                throw new InvalidOperationException($"{path} exited with {_process.ExitCode}: {await _process.StandardError.ReadToEndAsync(cts.Token)} {log}");
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(EndPoint, cts.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cts.Token);
            }
        }
    }

    public string ReadLog()
    {
        var log = _workDirectory is null ? null : Path.Combine(_workDirectory, "danted.log");
        return log is not null && File.Exists(log) ? File.ReadAllText(log) : "";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Dante forks helpers; end the whole tree this test started, and nothing else.
            _process.Kill(entireProcessTree: true);
            using var cts = Bounded.Cts();
            await _process.WaitForExitAsync(cts.Token);
        }

        _process.Dispose();
        if (_workDirectory is not null)
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
    }
}
