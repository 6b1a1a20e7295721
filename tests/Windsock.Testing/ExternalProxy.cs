using System.Diagnostics;
using System.Globalization;
using System.Net;
using Xunit;

namespace Windsock.Testing;

/// <summary>
/// An independent SOCKS server from Debian (Dante, microsocks) run by the test on a free loopback port, so our
/// client and server are proven against an implementation that shares no code with ours: the client library's
/// tests talk to it directly, the interop tests chain through it as an upstream hop. A missing binary skips the
/// test and names the package to install (./test.sh installs them).
/// </summary>
public sealed class ExternalProxy : IAsyncDisposable
{
    public const string DantePath = "/usr/sbin/danted";
    public const string MicrosocksPath = "/usr/bin/microsocks";

    // Generous: the machine running the tests may be busy (a bound, not a wait: both return as soon as they can).
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly TempDirectory? _directory;

    private ExternalProxy(Process process, IPEndPoint endPoint, TempDirectory? directory)
    {
        _process = process;
        EndPoint = endPoint;
        _directory = directory;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>
    /// Dante (danted) without authentication, accepting clients from loopback, with <paramref name="socksRules"/>
    /// (its <c>socks pass { ... }</c> blocks) deciding which commands go where. Its log is <see cref="ReadLog"/>.
    /// </summary>
    public static async Task<ExternalProxy> StartDanteAsync(string socksRules)
    {
        SkipUnlessInstalled(DantePath, "dante-server");
        int port = FreePort.Closed();
        var directory = new TempDirectory();
        string config = directory.File("danted.conf");
        bool root = Environment.UserName == "root";
        await File.WriteAllTextAsync(config, $$"""
            logoutput: {{directory.File("danted.log")}}
            internal: 127.0.0.1 port = {{port}}
            external: 127.0.0.1
            clientmethod: none
            socksmethod: none
            {{(root ? "user.privileged: root\nuser.unprivileged: nobody" : "")}}
            client pass {
              from: 127.0.0.0/8 to: 0.0.0.0/0
              log: error
            }
            {{socksRules}}
            """);
        return await StartAsync(DantePath, ["-f", config, "-p", directory.File("danted.pid")], port, directory);
    }

    /// <summary>microsocks on loopback, with username/password authentication when <paramref name="user"/> is given.</summary>
    public static async Task<ExternalProxy> StartMicrosocksAsync(string? user = null, string? password = null)
    {
        SkipUnlessInstalled(MicrosocksPath, "microsocks");
        int port = FreePort.Closed();
        List<string> arguments = ["-i", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture)];
        if (user is not null)
        {
            arguments.AddRange(["-u", user, "-P", password!]);
        }

        return await StartAsync(MicrosocksPath, arguments, port, directory: null);
    }

    /// <summary>Dante's own log (with <c>log: connect</c> in a rule, its connect lines name the clients it served); empty for microsocks.</summary>
    public string ReadLog()
    {
        string? log = _directory?.File("danted.log");
        return log is not null && File.Exists(log) ? File.ReadAllText(log) : "";
    }

    private static void SkipUnlessInstalled(string path, string package)
    {
        if (!File.Exists(path))
        {
            Assert.Skip($"{path} is not installed; install the Debian package '{package}' to run this test (./test.sh does).");
        }
    }

    private static async Task<ExternalProxy> StartAsync(string path, IEnumerable<string> arguments, int port, TempDirectory? directory)
    {
        var proxy = new ExternalProxy(Process.Start(ChildProcess.StartInfo(path, arguments))!, new IPEndPoint(IPAddress.Loopback, port), directory);
        try
        {
            using var bound = new CancellationTokenSource(StartBound);
            await ChildProcess.WaitUntilAcceptingAsync(
                proxy._process,
                proxy.EndPoint,
                async () =>
                {
                    string said = await proxy._process.StandardError.ReadToEndAsync(bound.Token);
                    return string.Create(CultureInfo.InvariantCulture, $"{path} exited with {proxy._process.ExitCode}: {said} {proxy.ReadLog()}");
                },
                bound.Token);
            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Dante forks helpers: end the whole tree this test started, and nothing else.
            _process.Kill(entireProcessTree: true);
            using var bound = new CancellationTokenSource(StopBound);
            await _process.WaitForExitAsync(bound.Token);
        }

        _process.Dispose();
        _directory?.Dispose();
    }
}
