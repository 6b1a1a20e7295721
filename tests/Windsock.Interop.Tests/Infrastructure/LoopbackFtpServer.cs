using System.Diagnostics;
using System.Globalization;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// A real FTP server (Debian's python3-pyftpdlib) on 127.0.0.1, anonymous and read-only, serving
/// one folder. Active mode is its default: for RETR it connects to the client's PORT address,
/// which through a SOCKS BIND is the proxy's announced address.
/// </summary>
public sealed class LoopbackFtpServer : IAsyncDisposable
{
    private const string Script = """
        import sys
        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.handlers import FTPHandler
        from pyftpdlib.servers import FTPServer
        authorizer = DummyAuthorizer()
        authorizer.add_anonymous(sys.argv[1])
        FTPHandler.authorizer = authorizer
        server = FTPServer(("127.0.0.1", 0), FTPHandler)
        print(server.socket.getsockname()[1], flush=True)
        # Ends when the test closes stdin or kills it; the timeout only paces the loop.
        server.serve_forever(timeout=1)
        """;

    private readonly Process _process;

    private LoopbackFtpServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<LoopbackFtpServer> StartAsync(string root)
    {
        var psi = ProcessRunner.StartInfo(Tools.Python, ["-c", Script, root]);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the FTP server");
        process.StandardInput.Close();
        try
        {
            // The first line is the port; stderr is pyftpdlib's log, drained so it cannot block the server.
            _ = process.StandardError.ReadToEndAsync();
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(Timeouts.Start);
            if (!int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                throw new InvalidOperationException($"the FTP server printed '{line}' instead of its port");
            }

            return new LoopbackFtpServer(process, port);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(Timeouts.Stop);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }
}
