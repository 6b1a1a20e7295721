using System.Diagnostics.CodeAnalysis;

namespace Windsock.Policy;

/// <summary>
/// Who a rule applies to: named users, members of named groups, or both (either suffices). Names
/// are case-sensitive, as in the user file. A request without an authenticated user never matches.
/// A user entry <c>*@REALM</c> stands for every Kerberos principal of that realm (GSSAPI users are
/// principals such as <c>alice@EXAMPLE.ORG</c>); it is the only pattern.
/// </summary>
public sealed class UserSet
{
    private const string RealmPrefix = "*@";

    private readonly HashSet<string> _users;
    private readonly HashSet<string> _groups;
    private readonly string[] _realms;

    public UserSet(IEnumerable<string> users, IEnumerable<string> groups)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(groups);
        _users = new HashSet<string>(users, StringComparer.Ordinal);
        _groups = new HashSet<string>(groups, StringComparer.Ordinal);
        _realms = [.. _users.Where(IsRealmPattern).Select(u => u[RealmPrefix.Length..])];
    }

    public IReadOnlyCollection<string> Users => _users;

    public IReadOnlyCollection<string> Groups => _groups;

    public bool Matches(string? user, IReadOnlyCollection<string> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (user is null)
        {
            return false;
        }

        if (_users.Contains(user))
        {
            return true;
        }

        if (_realms.Length > 0)
        {
            // The realm is what follows the principal's last '@' (names themselves may contain escaped ones).
            int at = user.LastIndexOf('@');
            if (at > 0 && Array.IndexOf(_realms, user[(at + 1)..]) >= 0)
            {
                return true;
            }
        }

        foreach (string group in groups)
        {
            if (_groups.Contains(group))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A user or group name: 1 to 255 characters, no control characters, no surrounding white space.</summary>
    public static bool TryParseName(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        if (text.Length is 0 or > 255 || text.Any(char.IsControl) || text.Trim().Length != text.Length)
        {
            error = $"\"{text}\" is not a user or group name: 1 to 255 characters without control characters or surrounding spaces";
            return false;
        }

        if (text.StartsWith(RealmPrefix, StringComparison.Ordinal) && !IsRealmPattern(text))
        {
            error = $"\"{text}\" is not a realm pattern: write *@REALM, e.g. \"*@EXAMPLE.ORG\"";
            return false;
        }

        return true;
    }

    /// <summary>"*@REALM": a realm with no '@' or '*' of its own.</summary>
    private static bool IsRealmPattern(string name) =>
        name.StartsWith(RealmPrefix, StringComparison.Ordinal) && name.Length > RealmPrefix.Length
        && name.IndexOfAny(['@', '*'], RealmPrefix.Length) < 0;

    public static bool TryParse(IEnumerable<string> users, IEnumerable<string> groups, [NotNullWhen(true)] out UserSet? set, out string? error)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(groups);
        set = null;
        foreach (string name in users.Concat(groups))
        {
            if (!TryParseName(name, out error))
            {
                return false;
            }
        }

        error = null;
        set = new UserSet(users, groups);
        return true;
    }

    public override string ToString()
    {
        string users = "users {" + string.Join(",", _users.Order(StringComparer.Ordinal)) + "}";
        string groups = "groups {" + string.Join(",", _groups.Order(StringComparer.Ordinal)) + "}";
        return (_users.Count, _groups.Count) switch
        {
            (> 0, 0) => users,
            (0, > 0) => groups,
            _ => users + " or " + groups,
        };
    }
}
