using Windsock.Policy;
using Windsock.Server.Configuration;

namespace Windsock.Server.Authentication;

/// <summary>
/// The groups file (<c>[auth] groups_file</c>): one group per line, <c>group: user1, user2</c>;
/// <c>#</c> comment lines and blank lines ignored. Loading is pure, so a reload can validate a new
/// file completely before it replaces the running one. Every problem is a
/// <see cref="ConfigException"/> at the line and column to fix.
/// </summary>
public static class GroupFile
{
    // Far beyond any real file; protects against pointing at the wrong one.
    private const int MaxFileBytes = 16 * 1024 * 1024;

    private const string What = "groups file";

    /// <exception cref="ConfigException">The file is missing, unreadable or has a malformed line.</exception>
    public static GroupMembership Load(string path)
    {
        string text = AdminFileReader.ReadText(path, What, MaxFileBytes);
        return Parse(text, path);
    }

    /// <exception cref="ConfigException">A line is malformed; the error names its line and column.</exception>
    public static GroupMembership Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var groupLines = new Dictionary<string, int>(StringComparer.Ordinal);
        var byUser = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNumber = i + 1;
            string line = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
            string trimmed = line.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#')
            {
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new ConfigException(fileName, lineNumber, 1, "line has no ':' after the group name", "write GROUP: USER1, USER2");
            }

            string group = line[..colon];
            if (!UserSet.TryParseName(group, out _))
            {
                throw new ConfigException(fileName, lineNumber, 1, $"\"{group}\" is not a group name", "write the name (1 to 255 characters, no control characters) at the start of the line, directly followed by ':'");
            }

            if (groupLines.TryGetValue(group, out int firstLine))
            {
                throw new ConfigException(fileName, lineNumber, 1, $"group \"{group}\" is already defined on line {firstLine}", "list all its members on one line and remove the other");
            }

            groupLines.Add(group, lineNumber);
            ReadMembers(line, colon + 1, group, fileName, lineNumber, byUser);
        }

        return new GroupMembership(groupLines.Keys, byUser.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal));
    }

    private static void ReadMembers(string line, int start, string group, string fileName, int lineNumber, Dictionary<string, List<string>> byUser)
    {
        if (line[start..].Trim().Length == 0)
        {
            // A group nobody belongs to yet; rules naming it match nobody.
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        int position = start;
        foreach (string item in line[start..].Split(','))
        {
            string name = item.Trim();
            int column = position + (item.Length - item.TrimStart().Length) + 1;
            position += item.Length + 1;
            if (name.Length == 0)
            {
                throw new ConfigException(fileName, lineNumber, column, $"an empty member in group \"{group}\" (two commas in a row, or a comma at the end?)", "separate user names with single commas");
            }

            if (CredentialRules.CheckUserName(name) is { } problem)
            {
                throw new ConfigException(fileName, lineNumber, column, $"{problem} (\"{name}\" in group \"{group}\")", "write user names as in the users file, separated by commas");
            }

            if (!seen.Add(name))
            {
                throw new ConfigException(fileName, lineNumber, column, $"user \"{name}\" is listed twice in group \"{group}\"", "remove the duplicate");
            }

            if (!byUser.TryGetValue(name, out List<string>? groups))
            {
                groups = [];
                byUser.Add(name, groups);
            }

            groups.Add(group);
        }
    }
}

/// <summary>Who belongs to which group, as the groups file says. Names are case-sensitive.</summary>
public sealed class GroupMembership
{
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _byUser;

    public GroupMembership(IEnumerable<string> groups, IReadOnlyDictionary<string, IReadOnlyList<string>> byUser)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(byUser);
        Groups = [.. groups];
        _byUser = byUser;
    }

    public static GroupMembership Empty { get; } = new([], new Dictionary<string, IReadOnlyList<string>>());

    /// <summary>Every group the file defines, in file order (also those without members).</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>user → the groups that list them, in file order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ByUser => _byUser;

    /// <summary>The groups of <paramref name="user"/>; none for an unknown user or no user at all.</summary>
    public IReadOnlyList<string> GroupsOf(string? user) =>
        user is not null && _byUser.TryGetValue(user, out IReadOnlyList<string>? groups) ? groups : [];
}
