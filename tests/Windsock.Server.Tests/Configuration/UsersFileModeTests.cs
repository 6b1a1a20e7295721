using System.Runtime.Versioning;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

[SupportedOSPlatform("linux")]
public class UsersFileModeTests
{
    [Theory]
    [InlineData(0b110_000_000, null, null)] // 0600, as windsock passwd makes it for a user
    [InlineData(0b110_100_000, null, null)] // 0640: root:windsock, as windsock passwd makes it for the service
    [InlineData(0b100_000_000, null, null)] // 0400
    [InlineData(0b110_100_100, "readable by every user of this host", "640")] // 0644: the group keeps its read
    [InlineData(0b110_000_100, "readable by every user of this host", "600")] // 0604
    [InlineData(0b110_110_000, "writable by its group", "640")] // 0660
    [InlineData(0b110_110_110, "readable by every user of this host (the password hashes can be copied and guessed offline) and writable by every user of this host", "640")] // 0666
    public void Warns_when_others_may_read_or_group_and_others_may_write_and_the_fix_keeps_group_read(int mode, string? expected, string? fixedMode)
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
        Assert.EndsWith($"fix: chmod {fixedMode} {users}", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void No_file_no_warning() => Assert.Null(UsersFileMode.Warning(null));
}
