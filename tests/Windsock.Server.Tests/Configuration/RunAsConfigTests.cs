using System.Runtime.Versioning;
using Windsock.Server.Accounts;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>[server] user and group: looked up when the file is read, so a missing account is an error at its line.</summary>
[SupportedOSPlatform("linux")]
public sealed class RunAsConfigTests
{
    private const string FileName = "/etc/windsock/windsock.toml";

    [Fact]
    public void Without_user_the_server_keeps_its_account()
    {
        Assert.Null(ConfigLoader.Parse("", FileName).RunAs);
    }

    [Fact]
    public void A_user_runs_with_its_own_group_unless_group_names_another()
    {
        ServerOptions own = ConfigLoader.Parse("[server]\nuser = \"nobody\"\n", FileName);
        ServerOptions other = ConfigLoader.Parse("[server]\ngroup = \"daemon\"\nuser = \"nobody\"\n", FileName);

        Assert.Equal(new UnixAccount("nobody", 65534, "nogroup", 65534), own.RunAs);
        Assert.Equal(new UnixAccount("nobody", 65534, "daemon", UnixAccounts.FindGroup("daemon")!.Value), other.RunAs);
        Assert.Equal($"{FileName}:2:1", own.Origins["server.user"]);
    }

    [Theory]
    [InlineData("[server]\nuser = \"no-such-user-windsock-test\"\n", 2, 8, "there is no such user on this host", "useradd --system")]
    [InlineData("[server]\nuser = \"root\"\n", 2, 8, "is root (uid 0)", "unprivileged user")]
    [InlineData("[server]\nuser = \"\"\n", 2, 8, "is not a user name", "getent passwd")]
    [InlineData("[server]\nuser = 65534\n", 2, 8, "not an integer", "user name in quotes")]
    [InlineData("[server]\nuser = \"nobody\"\ngroup = \"no-such-group-windsock-test\"\n", 3, 9, "there is no such group", "groupadd --system")]
    [InlineData("[server]\nuser = \"nobody\"\ngroup = \"root\"\n", 3, 9, "root's group (gid 0)", "leave group out")]
    [InlineData("[server]\ngroup = \"nogroup\"\n", 2, 9, "server.group is set but server.user is not", "add user = ")]
    public void Mistakes_are_errors_at_the_value_with_a_fix(string toml, int line, int column, string message, string fix)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, FileName));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Fix, StringComparison.Ordinal);
        Assert.Equal((FileName, line, column), (error.FileName, error.Line, error.Column));
    }
}
