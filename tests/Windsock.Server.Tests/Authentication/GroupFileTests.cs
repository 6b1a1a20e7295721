using Windsock.Server.Authentication;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

public sealed class GroupFileTests
{
    private const string FileName = "/etc/windsock/groups";

    [Fact]
    public void Lines_map_users_to_their_groups_in_file_order()
    {
        const string text = "# comment\n\nstaff: alice, bob\r\nadmins:bob\n  # indented comment\nempty:\nmail:   carol ,alice\n";

        GroupMembership groups = GroupFile.Parse(text, FileName);

        Assert.Equal(["staff", "admins", "empty", "mail"], groups.Groups);
        Assert.Equal(["staff", "mail"], groups.GroupsOf("alice"));
        Assert.Equal(["staff", "admins"], groups.GroupsOf("bob"));
        Assert.Equal(["mail"], groups.GroupsOf("carol"));
        Assert.Empty(groups.GroupsOf("Alice"));
        Assert.Empty(groups.GroupsOf("dave"));
        Assert.Empty(groups.GroupsOf(null));
        Assert.Equal(3, groups.ByUser.Count);
    }

    [Fact]
    public void An_empty_file_has_no_groups()
    {
        GroupMembership groups = GroupFile.Parse("", FileName);

        Assert.Empty(groups.Groups);
        Assert.Empty(groups.ByUser);
    }

    [Theory]
    [InlineData("staff alice\n", 1, 1, "no ':'")]
    [InlineData("ok: a\n staff: alice\n", 2, 1, "not a group name")]
    [InlineData(":alice\n", 1, 1, "not a group name")]
    [InlineData("staff: alice\nstaff: bob\n", 2, 1, "already defined on line 1")]
    [InlineData("staff: alice,,bob\n", 1, 14, "empty member")]
    [InlineData("staff: alice, bob,\n", 1, 19, "empty member")]
    [InlineData("staff: alice, bob:x\n", 1, 15, "contains ':'")]
    [InlineData("staff: alice,  alice\n", 1, 16, "listed twice")]
    public void Problems_name_line_and_column(string text, int line, int column, string message)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => GroupFile.Parse(text, FileName));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal((FileName, line, column), (error.FileName, error.Line, error.Column));
        Assert.NotEmpty(error.Fix);
    }

    [Fact]
    public void Load_reads_the_file_and_reports_a_missing_one()
    {
        using var temp = new TempDirectory();
        string path = temp.File("groups");
        File.WriteAllText(path, "staff: alice\n");

        Assert.Equal(["staff"], GroupFile.Load(path).GroupsOf("alice"));
        ConfigException missing = Assert.Throws<ConfigException>(() => GroupFile.Load(temp.File("nope")));
        Assert.Contains("groups file does not exist", missing.Message, StringComparison.Ordinal);
    }
}
