using System.Net;
using System.Runtime.Versioning;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>The [admin] section: off by default, loopback or a unix socket without a token, a private token file otherwise.</summary>
[SupportedOSPlatform("linux")]
public sealed class AdminConfigTests
{
    private const string FileName = "/etc/windsock/windsock.toml";

    [Fact]
    public void Absent_section_means_no_admin_listener()
    {
        Assert.Null(ConfigLoader.Parse("", FileName).Admin);
    }

    [Fact]
    public void Loopback_and_unix_socket_listeners_need_no_token()
    {
        var tcp = ConfigLoader.Parse("[admin]\nlisten = \"127.0.0.1:9180\"\n", FileName).Admin!;
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9180), tcp.EndPoint);
        Assert.True(tcp.IsLocal);
        var unix = ConfigLoader.Parse("[admin]\nlisten = \"/run/windsock/admin.sock\"\n", FileName).Admin!;
        Assert.Equal("/run/windsock/admin.sock", unix.SocketPath);
        Assert.Equal("unix:/run/windsock/admin.sock", unix.Describe());
    }

    [Theory]
    [InlineData("[admin]\nlisten = \"0.0.0.0:9180\"\n", "is not a loopback address", 2, 10)]
    [InlineData("[admin]\nlisten = \"[::]:9180\"\n", "is not a loopback address", 2, 10)]
    [InlineData("[admin]\nlisten = \"localhost:9180\"\n", "admin.listen", 2, 10)]
    [InlineData("[admin]\nlisten = 9180\n", "admin.listen must be", 2, 10)]
    [InlineData("[admin]\ntoken_file = \"/etc/windsock/admin-token\"\n", "no listen address", 2, 14)]
    [InlineData("[admin]\nlisten = \"127.0.0.1:9180\"\ntoken_file = \"/nonexistent/admin-token\"\n", "does not exist", 3, 14)]
    [InlineData("[admin]\nlisten = \"127.0.0.1:9180\"\nport = 1\n", "unknown key \"port\" in [admin]", 3, 1)]
    public void Mistakes_are_errors_at_their_line_with_a_fix(string toml, string messagePart, int line, int column)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, FileName));
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.Equal((FileName, line, column), (error.FileName, error.Line, error.Column));
        Assert.False(string.IsNullOrWhiteSpace(error.Fix));
    }

    [Fact]
    public void A_token_file_others_can_read_is_refused_and_a_private_one_is_read()
    {
        using var dir = new TempDirectory();
        string token = Path.Combine(dir.Path, "admin-token");
        File.WriteAllText(token, "0123456789abcdef0123\n");
        File.SetUnixFileMode(token, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        string toml = $"[admin]\nlisten = \"0.0.0.0:9180\"\ntoken_file = \"{token}\"\n";
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, FileName));
        Assert.Contains("(mode 0604)", error.Message, StringComparison.Ordinal);
        Assert.Equal($"chmod 600 {token}", error.Fix);

        File.SetUnixFileMode(token, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var admin = ConfigLoader.Parse(toml, FileName).Admin!;
        Assert.False(admin.IsLocal);
        Assert.Equal("0123456789abcdef0123", AdminTokenFile.Read(admin.TokenFile!));
    }

    [Fact]
    public void A_short_token_is_refused()
    {
        using var dir = new TempDirectory();
        string token = Path.Combine(dir.Path, "admin-token");
        File.WriteAllText(token, "short\n");
        File.SetUnixFileMode(token, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var error = Assert.Throws<ConfigException>(() => AdminTokenFile.Read(token));
        Assert.Contains("at least 16 characters", error.Message, StringComparison.Ordinal);
    }
}
