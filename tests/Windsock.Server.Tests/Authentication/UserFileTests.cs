using Windsock.Server.Authentication;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

public sealed class UserFileTests
{
    private readonly PasswordHasher _hasher = new(iterations: 10);

    private string HashOf(string password) => _hasher.Hash(password);

    [Fact]
    public void Parses_users_comments_and_blank_lines()
    {
        string text = $"# users\n\n  # indented comment\nalice:{HashOf("a")}\r\nBob Smith:{HashOf("b")}\n   \nédouard:{HashOf("é")}";

        UserStore store = UserFile.Parse(text, "users", _hasher);

        Assert.Equal(3, store.Count);
        Assert.True(store.Verify("alice", "a"));
        Assert.True(store.Verify("Bob Smith", "b"));
        Assert.True(store.Verify("édouard", "é"));
    }

    [Fact]
    public void Lookup_is_case_sensitive()
    {
        UserStore store = UserFile.Parse($"alice:{HashOf("a")}\n", "users", _hasher);

        Assert.True(store.Contains("alice"));
        Assert.False(store.Contains("Alice"));
        Assert.False(store.Verify("Alice", "a"));
    }

    [Fact]
    public void Wrong_password_and_unknown_user_fail()
    {
        UserStore store = UserFile.Parse($"alice:{HashOf("a")}\n", "users", _hasher);

        Assert.False(store.Verify("alice", "b"));
        Assert.False(store.Verify("mallory", "a"));
    }

    [Fact]
    public void Unknown_users_cost_the_same_pbkdf2_work_as_known_ones()
    {
        UserStore store = UserFile.Parse($"alice:{HashOf("a")}\n", "users", _hasher);

        long start = _hasher.Derivations;
        store.Verify("alice", "wrong");
        long known = _hasher.Derivations - start;
        store.Verify("mallory", "wrong");
        long unknown = _hasher.Derivations - start - known;

        Assert.Equal(1, known);
        Assert.Equal(1, unknown);
    }

    [Fact]
    public void Loading_runs_no_pbkdf2()
    {
        string text = $"alice:{HashOf("a")}\nbob:{HashOf("b")}\n";
        long before = _hasher.Derivations;

        UserFile.Parse(text, "users", _hasher);

        Assert.Equal(before, _hasher.Derivations);
    }

    [Theory]
    [InlineData("alice\n", 1, 1, "no ':'")]
    [InlineData("# ok\n\nbob:HASH\n:HASH\n", 4, 1, "user name is empty")]
    [InlineData("bob:HASH\nal\u0001ice:HASH\n", 2, 1, "control character")]
    [InlineData(" bob:HASH\n", 1, 1, "white space")]
    [InlineData("bob :HASH\n", 1, 1, "white space")]
    [InlineData("bob:HASH\nalice:nothash\n", 2, 7, "not in a format")]
    [InlineData("bob:HASH\nalice:\n", 2, 7, "not in a format")]
    [InlineData("bob:HASH\nalice:HASH \n", 2, 7, "not in a format")]
    [InlineData("bob:HASH\nalice:HASH\nbob:HASH\n", 3, 1, "already defined on line 1")]
    public void Malformed_lines_are_errors_with_their_position(string template, int line, int column, string messagePart)
    {
        string text = template.Replace("HASH", HashOf("x"), StringComparison.Ordinal);

        ConfigException error = Assert.Throws<ConfigException>(() => UserFile.Parse(text, "/etc/windsock/users", _hasher));

        Assert.Equal(("/etc/windsock/users", line, column), (error.FileName, error.Line, error.Column));
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"/etc/windsock/users:{line}:{column}: error: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void User_name_of_255_bytes_is_fine_and_256_is_not()
    {
        string ok = new('a', 255);
        string tooLong = new string('a', 254) + "é";

        Assert.Equal(1, UserFile.Parse($"{ok}:{HashOf("x")}\n", "users", _hasher).Count);
        Assert.Throws<ConfigException>(() => UserFile.Parse($"{tooLong}:{HashOf("x")}\n", "users", _hasher));
    }

    [Fact]
    public void Load_reports_a_missing_file()
    {
        using var temp = new TempDirectory();

        ConfigException error = Assert.Throws<ConfigException>(() => UserFile.Load(temp.File("users"), _hasher));

        Assert.Contains("users file does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_password_creates_the_file_private_or_readable_by_the_service_group_alone()
    {
        using var temp = new TempDirectory();
        string path = temp.File("users");

        UserFileChange change = UserFile.SetPassword(path, "alice", "secret", _hasher);

        Assert.Equal(UserFileChange.Added, change);
        Assert.True(UserFile.Load(path, _hasher).Verify("alice", "secret"));
        if (!OperatingSystem.IsWindows())
        {
            // 0600, or root:windsock 0640 where root creates it and the windsock group exists (UsersFileOwnershipTests).
            bool forService = Windsock.Server.Accounts.UnixAccounts.EffectiveUserId == 0 && Windsock.Server.Accounts.UnixAccounts.FindGroup(UserFile.ServiceGroup) is not null;
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | (forService ? UnixFileMode.GroupRead : 0), File.GetUnixFileMode(path));
            if (forService)
            {
                Assert.Equal((0u, Windsock.Server.Accounts.UnixAccounts.FindGroup(UserFile.ServiceGroup)!.Value), Windsock.Server.Accounts.FileOwnership.Get(path));
            }
        }
    }

    [Fact]
    public void Add_change_remove_round_trip_keeps_other_lines()
    {
        using var temp = new TempDirectory();
        string path = temp.File("users");
        string bob = $"bob:{HashOf("b")}";
        File.WriteAllText(path, $"# managed by hand\n{bob}\n\n# end\n");

        Assert.Equal(UserFileChange.Added, UserFile.SetPassword(path, "alice", "one", _hasher));
        Assert.Equal(UserFileChange.Changed, UserFile.SetPassword(path, "alice", "two", _hasher));

        UserStore store = UserFile.Load(path, _hasher);
        Assert.False(store.Verify("alice", "one"));
        Assert.True(store.Verify("alice", "two"));
        Assert.True(store.Verify("bob", "b"));
        string[] lines = File.ReadAllLines(path);
        Assert.Equal(["# managed by hand", bob, "", "# end"], lines[..4]);
        Assert.StartsWith("alice:$pbkdf2-sha256$i=10$", lines[4], StringComparison.Ordinal);
        Assert.Equal(5, lines.Length);

        Assert.True(UserFile.Remove(path, "alice"));
        Assert.False(UserFile.Remove(path, "alice"));
        Assert.Equal($"# managed by hand\n{bob}\n\n# end\n", File.ReadAllText(path));
    }

    [Fact]
    public void Changing_a_password_keeps_the_users_line_in_place()
    {
        using var temp = new TempDirectory();
        string path = temp.File("users");
        UserFile.SetPassword(path, "alice", "a", _hasher);
        UserFile.SetPassword(path, "bob", "b", _hasher);

        UserFile.SetPassword(path, "alice", "a2", _hasher);

        string[] lines = File.ReadAllLines(path);
        Assert.StartsWith("alice:", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("bob:", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Rewrites_keep_an_existing_files_mode_and_leave_no_temp_files()
    {
        using var temp = new TempDirectory();
        string path = temp.File("users");
        File.WriteAllText(path, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        }

        UserFile.SetPassword(path, "alice", "a", _hasher);
        UserFile.SetPassword(path, "alice", "b", _hasher);
        UserFile.Remove(path, "alice");

        Assert.Equal([path], Directory.GetFileSystemEntries(temp.Path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void A_malformed_file_is_not_rewritten()
    {
        using var temp = new TempDirectory();
        string path = temp.File("users");
        File.WriteAllText(path, "alice:broken\n");

        ConfigException error = Assert.Throws<ConfigException>(() => UserFile.SetPassword(path, "bob", "b", _hasher));

        Assert.Equal(1, error.Line);
        Assert.Equal("alice:broken\n", File.ReadAllText(path));
        Assert.Single(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Setting_a_password_in_a_missing_folder_is_an_error()
    {
        using var temp = new TempDirectory();

        ConfigException error = Assert.Throws<ConfigException>(() => UserFile.SetPassword(temp.File("no/users"), "alice", "a", _hasher));

        Assert.Contains("folder", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Removing_from_a_missing_file_is_an_error()
    {
        using var temp = new TempDirectory();

        Assert.Throws<ConfigException>(() => UserFile.Remove(temp.File("users"), "alice"));
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temp_file()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("needs Unix file modes");
            return;
        }

        if (Environment.UserName == "root")
        {
            Assert.Skip("root writes through any mode bits");
        }

        using var temp = new TempDirectory();
        string path = temp.File("users");
        UserFile.SetPassword(path, "alice", "a", _hasher);
        string before = File.ReadAllText(path);
        File.SetUnixFileMode(temp.Path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            Assert.ThrowsAny<UnauthorizedAccessException>(() => UserFile.SetPassword(path, "bob", "b", _hasher));
        }
        finally
        {
            File.SetUnixFileMode(temp.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Assert.Equal(before, File.ReadAllText(path));
        Assert.Single(Directory.GetFileSystemEntries(temp.Path));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a:b", "':'")]
    [InlineData("#alice", "'#'")]
    [InlineData("alice\n", "control")]
    [InlineData("alice ", "white space")]
    [InlineData("\uFFFD", "U+FFFD")]
    public void Invalid_user_names_are_refused_before_touching_the_file(string name, string messagePart)
    {
        using var temp = new TempDirectory();

        ArgumentException error = Assert.Throws<ArgumentException>(() => UserFile.SetPassword(temp.File("users"), name, "pw", _hasher));

        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Unpaired_surrogates_are_not_valid_names()
    {
        // Not an InlineData: the test runner replaces lone surrogates in attribute values.
        Assert.Contains("not valid Unicode", CredentialRules.CheckUserName("al\uD800ice"), StringComparison.Ordinal);
    }

    [Fact]
    public void Passwords_follow_the_socks5_limits()
    {
        Assert.Null(CredentialRules.CheckPassword(new string('p', 255)));
        Assert.NotNull(CredentialRules.CheckPassword(new string('p', 256)));
        Assert.NotNull(CredentialRules.CheckPassword(""));
        Assert.NotNull(CredentialRules.CheckPassword("bad\uFFFD"));
        Assert.Null(CredentialRules.CheckPassword("with spaces and : colons"));
    }
}
