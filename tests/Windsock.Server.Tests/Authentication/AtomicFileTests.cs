using Windsock.Server.Authentication;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

public sealed class AtomicFileTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public void Replaces_the_content_and_leaves_only_the_target()
    {
        using var temp = new TempDirectory();
        string path = temp.File("f");
        File.WriteAllText(path, "old");

        AtomicFile.WriteAllBytes(path, "new"u8, OwnerOnly);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void A_failed_rename_removes_the_temp_file()
    {
        // A non-empty directory at the target makes the final rename fail even for root.
        using var temp = new TempDirectory();
        string path = temp.File("f");
        Directory.CreateDirectory(Path.Combine(path, "inside"));

        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllBytes(path, "new"u8, OwnerOnly));

        Assert.Equal([path], Directory.GetFileSystemEntries(temp.Path));
    }
}
