using System.Globalization;
using System.Text;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>BIND under the preload: active-mode FTP with Debian's ftp, in the leak-proof setting of <see cref="RunFixture"/>.</summary>
public sealed partial class RunTests
{
    private const string FtpServerScript = """
        import sys
        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.handlers import FTPHandler
        from pyftpdlib.servers import FTPServer
        authorizer = DummyAuthorizer()
        authorizer.add_anonymous(sys.argv[1])
        FTPHandler.authorizer = authorizer
        server = FTPServer(("127.0.0.1", 0), FTPHandler)
        print("listening", server.socket.getsockname()[1], flush=True)
        server.serve_forever(timeout=1)
        """;

    [Fact]
    public async Task Active_ftp_gets_a_file_byte_exact_over_BIND()
    {
        using var dir = new TempDirectory();
        string root = Directory.CreateDirectory(Path.Combine(dir.Path, "root")).FullName;
        byte[] file = Clients.Payload((2 * 1024 * 1024) + 13, seed: 1212);
        await File.WriteAllBytesAsync(Path.Combine(root, "data.bin"), file, TestContext.Current.CancellationToken);
        string downloaded = Path.Combine(dir.Path, "downloaded.bin");

        // pyftpdlib on the proxy side's loopback: in active mode it connects back to the PORT address,
        // which only the proxy's BIND listener can be, since the client side is out of its reach.
        await using var ftpd = BackgroundCommand.Start(Tools.Ip, ["netns", "exec", fixture.Namespaces.Proxy, Tools.Python, "-u", "-c", FtpServerScript, root]);
        string line = await ftpd.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal), "the FTP server's line");
        int port = int.Parse(line["listening ".Length..], CultureInfo.InvariantCulture);

        string commands = $"""
            open {RunFixture.SiteName} {port}
            user anonymous windsock@
            binary
            passive off
            get data.bin {downloaded}
            quit

            """;
        ProcessResult ftp = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Tools.Ftp, "-n", "-v"], Encoding.ASCII.GetBytes(commands));

        Assert.True(File.Exists(downloaded), $"nothing downloaded\n{ftp.Describe()}\n{ftpd.Transcript()}\n{fixture.Server.Transcript()}");
        byte[] got = await File.ReadAllBytesAsync(downloaded, TestContext.Current.CancellationToken);
        Assert.True(got.AsSpan().SequenceEqual(file), $"download differs: {got.Length} bytes, want {file.Length}\n{ftp.Describe()}");
        string end = await fixture.Server.WaitForLineAsync(
            l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("command=bind", StringComparison.Ordinal) && l.Contains($"bytes_down={file.Length}", StringComparison.Ordinal),
            "the BIND session's end line with the file's bytes");
        Assert.Contains($"client={NetworkNamespacePair.ClientAddress}:", end, StringComparison.Ordinal);
        Assert.Contains("peer=127.0.0.1:", end, StringComparison.Ordinal);
    }
}
