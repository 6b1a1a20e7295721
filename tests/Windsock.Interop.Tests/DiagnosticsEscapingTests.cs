using System.Net.Sockets;
using System.Text;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The review's finding against a real `windsock serve`: a failed login whose user name holds CR,
/// escape sequences, NUL and Unicode line and bidi controls must reach standard error as one
/// line with all of them escaped (a raw CR alone would already split the line here).
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class DiagnosticsEscapingTests
{
    [Fact]
    public async Task A_hostile_user_name_reaches_standard_error_escaped_on_one_line()
    {
        using var dir = new TempDirectory();
        var users = Path.Combine(dir.Path, "users");
        await Passwd.AddUserAsync(users, "alice", "alice-pass");
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0", "--users", users);
        var ct = TestContext.Current.CancellationToken;

        const string User = "a\rb\u001b[31mRED\u001b[0m\u0000z\u2028\u202eend";
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(server.IPv4, ct);
            var stream = client.GetStream();
            await stream.WriteAsync(new byte[] { 5, 1, 2 }, ct); // SOCKS5, one method: username/password
            var choice = new byte[2];
            await stream.ReadExactlyAsync(choice, ct);
            Assert.Equal(new byte[] { 5, 2 }, choice);
            var name = Encoding.UTF8.GetBytes(User);
            await stream.WriteAsync((byte[])[1, (byte)name.Length, .. name, 5, .. "wrong"u8], ct);
            var status = new byte[2];
            await stream.ReadExactlyAsync(status, ct);
            Assert.NotEqual(0, status[1]);
        }

        var line = await server.WaitForErrorLineAsync(l => l.Contains("Authentication failed", StringComparison.Ordinal), "the failed login's diagnostic");
        Assert.Contains(@"user 'a\x0db\x1b[31mRED\x1b[0m\x00z\u2028\u202eend'", line, StringComparison.Ordinal);
        Assert.DoesNotContain(line, c => char.IsControl(c) || c is '\u2028' or '\u202e');
    }
}
