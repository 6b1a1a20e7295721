using Tomlyn.Syntax;
using Windsock.Server.Accounts;

namespace Windsock.Server.Configuration;

/// <summary>
/// <c>[server] user</c> and <c>group</c>: the account a server started as root switches to once its
/// listeners are bound. Both are looked up here, so `windsock check` on the host names an account
/// that does not exist at its line, before any start.
/// </summary>
internal sealed partial class ConfigReader
{
    private (string Name, uint Id, SyntaxNode At)? _runAsGroup;

    internal ServerOptions? ReadRunAsUser(string key, TomlEntry entry, ServerOptions options)
    {
        if (ReadAccountName(key, entry.Value, "user") is not { } name)
        {
            return null;
        }

        if (UnixAccounts.FindUser(name) is not { } user)
        {
            Problem(entry.Value, $"{key} \"{name}\": there is no such user on this host (getent passwd {name} finds nothing)", $"create it (useradd --system --user-group --no-create-home --shell /usr/sbin/nologin {name}), or name an existing unprivileged user");
            return null;
        }

        if (user.UserId == 0)
        {
            Problem(entry.Value, $"{key} \"{name}\" is root (uid 0), so the server would keep every privilege after start", "name an unprivileged user, e.g. \"windsock\", or remove the line");
            return null;
        }

        return options with { RunAs = new UnixAccount(name, user.UserId, UnixAccounts.GroupName(user.GroupId), user.GroupId) };
    }

    internal ServerOptions? ReadRunAsGroup(string key, TomlEntry entry, ServerOptions options)
    {
        if (ReadAccountName(key, entry.Value, "group") is not { } name)
        {
            return null;
        }

        if (UnixAccounts.FindGroup(name) is not { } gid)
        {
            Problem(entry.Value, $"{key} \"{name}\": there is no such group on this host (getent group {name} finds nothing)", $"create it (groupadd --system {name}), or leave group out to run with the user's own group");
            return null;
        }

        if (gid == 0)
        {
            Problem(entry.Value, $"{key} \"{name}\" is root's group (gid 0), which can read and write much of the system", "name the service's own group, e.g. \"windsock\", or leave group out");
            return null;
        }

        _runAsGroup = (name, gid, entry.Value);
        return options;
    }

    /// <summary>The group, when given, replaces the user's own; a group without a user says what it is missing.</summary>
    public ServerOptions FinishRunAs(ServerOptions options)
    {
        if (_runAsGroup is not { } group)
        {
            return options;
        }

        if (options.RunAs is not { } account)
        {
            Problem(group.At, "server.group is set but server.user is not, and the server switches its group only together with its user", "add user = \"windsock\" (the account to run as) under [server], or remove group");
            return options;
        }

        return options with { RunAs = account with { GroupName = group.Name, GroupId = group.Id } };
    }

    private string? ReadAccountName(string key, ValueSyntax value, string what)
    {
        if (value is not StringValueSyntax text)
        {
            WrongType(key, value, $"a {what} name in quotes, e.g. \"windsock\"");
            return null;
        }

        string name = text.Value ?? "";
        if (name.Length == 0 || name.Length > 256 || name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is ':' or '/'))
        {
            Problem(value, $"{key} \"{name}\" is not a {what} name", $"write the name as getent {(what == "user" ? "passwd" : "group")} shows it, e.g. \"windsock\"");
            return null;
        }

        if (!OperatingSystem.IsLinux())
        {
            Problem(value, $"{key} works on Linux only", "remove the line and start the server as the account it should run as");
            return null;
        }

        return name;
    }
}
