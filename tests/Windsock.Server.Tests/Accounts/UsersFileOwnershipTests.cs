using System.Runtime.Versioning;
using Windsock.Server.Accounts;
using Windsock.Server.Authentication;
using Xunit;

namespace Windsock.Server.Tests.Accounts;

/// <summary>
/// The users file as the service reads it: root:windsock 0640. An edit by `windsock passwd` (an atomic
/// rename of a new file) must keep the owner and group, or the service loses the file at its next reload.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class UsersFileOwnershipTests
{
    private const uint NoGroup = 65534;
    private readonly PasswordHasher _hasher = new(iterations: 10);

    [Fact]
    public void An_edit_keeps_the_files_owner_group_and_mode()
    {
        Assert.SkipUnless(UnixAccounts.EffectiveUserId == 0, "chown to another group needs root");
        using var dir = new TempDirectory();
        string users = dir.File("users");
        UserFile.SetPassword(users, "alice", "alice-pass", _hasher);
        FileOwnership.Set(users, 0, NoGroup);
        File.SetUnixFileMode(users, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        UserFile.SetPassword(users, "bob", "bob-pass", _hasher);
        Assert.Equal((0u, NoGroup), FileOwnership.Get(users));
        Assert.True(UserFile.Remove(users, "alice"));

        Assert.Equal((0u, NoGroup), FileOwnership.Get(users));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(users));
        Assert.True(UserFile.Load(users, _hasher).Verify("bob", "bob-pass"));
    }

    [Fact]
    public void A_new_file_made_by_root_is_group_readable_by_the_service_group_when_it_exists()
    {
        Assert.SkipUnless(UnixAccounts.EffectiveUserId == 0, "the service's ownership applies to files root creates");

        Assert.Equal((UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, NoGroup), UserFile.NewFileOwnership("nogroup"));
        Assert.Equal((UnixFileMode.UserRead | UnixFileMode.UserWrite, null), UserFile.NewFileOwnership("no-such-group-windsock-test"));
    }

    [Fact]
    public void Accounts_are_found_by_name_and_their_ids_named_back()
    {
        Assert.Equal((65534u, NoGroup), UnixAccounts.FindUser("nobody"));
        Assert.Null(UnixAccounts.FindUser("no-such-user-windsock-test"));
        Assert.Equal(0u, UnixAccounts.FindGroup("root"));
        Assert.Equal("root", UnixAccounts.UserName(0));
        Assert.Equal("4000000000", UnixAccounts.UserName(4_000_000_000));
        Assert.Equal("nogroup", UnixAccounts.GroupName(NoGroup));
    }

    [Fact]
    public void Check_tells_whether_an_account_could_read_a_file_from_owner_group_and_mode()
    {
        Assert.SkipUnless(UnixAccounts.EffectiveUserId == 0, "chown needs root");
        using var dir = new TempDirectory();
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        string file = dir.File("users");
        File.WriteAllText(file, "");
        var nobody = new UnixAccount("nobody", 65534, "nogroup", NoGroup);

        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Contains("nobody cannot read", AccountFileAccess.WhyUnreadable(file, nobody), StringComparison.Ordinal);
        Assert.Contains("root:root, mode 0600", AccountFileAccess.WhyUnreadable(file, nobody), StringComparison.Ordinal);

        FileOwnership.Set(file, 0, NoGroup);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Assert.Null(AccountFileAccess.WhyUnreadable(file, nobody));

        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Contains($"nobody cannot enter the folder {dir.Path}", AccountFileAccess.WhyUnreadable(file, nobody), StringComparison.Ordinal);
    }
}
