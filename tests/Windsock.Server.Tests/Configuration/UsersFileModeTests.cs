using System.Runtime.Versioning;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

[SupportedOSPlatform("linux")]
public class UsersFileModeTests
{
    [Theory]
    [InlineData(0b110_000_000, null)] // 0600, as windsock passwd makes it
    [InlineData(0b110_100_000, null)] // 0640: a group that may read it is a deliberate setup
    [InlineData(0b100_000_000, null)] // 0400
    [InlineData(0b110_100_100, "readable by every user of this host")] // 0644
    [InlineData(0b110_000_100, "readable by every user of this host")] // 0604
    [InlineData(0b110_110_000, "writable by its group")] // 0660
    [InlineData(0b110_110_110, "readable by every user of this host (the password hashes can be copied and guessed offline) and writable by every user of this host")] // 0666
    public void Warns_when_others_may_read_or_group_and_others_may_write(int mode, string? expected)
    {
        using var dir = new TempDirectory();
        var users = dir.File("users");
        File.WriteAllText(users, "");
        File.SetUnixFileMode(users, (UnixFileMode)mode);

        var warning = UsersFileMode.Warning(users);

        if (expected is null)
        {
            Assert.Null(warning);
            return;
        }

        Assert.NotNull(warning);
        Assert.Contains(expected, warning, StringComparison.Ordinal);
        Assert.Contains($"mode 0{Convert.ToString(mode, 8)}", warning, StringComparison.Ordinal);
        Assert.EndsWith($"fix: chmod 600 {users}", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void No_file_no_warning() => Assert.Null(UsersFileMode.Warning(null));
}
