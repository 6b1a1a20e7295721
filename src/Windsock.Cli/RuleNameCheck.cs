using Windsock.Policy;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;

namespace Windsock.Cli;

/// <summary>
/// Warnings for user and group names in rules that the configuration does not know: such a part of a rule
/// never matches, which is nearly always a typo (<c>users = ["alcie"]</c>). Warnings, not errors, as in
/// <c>nginx -t</c> or <c>named-checkconf</c>: the users file is edited while the server runs
/// (<c>windsock passwd</c>, SIGHUP), so a rule may name a user about to be added.
/// </summary>
internal static class RuleNameCheck
{
    /// <param name="rules">The configured rules.</param>
    /// <param name="options">The configuration: which sources of user names it has.</param>
    /// <param name="users">The users file's users; null without one.</param>
    /// <param name="groups">The groups file's groups and members.</param>
    public static IEnumerable<string> Warnings(RuleSet rules, ServerOptions options, UserStore? users, GroupMembership groups)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(groups);

        // Users are known only when the configuration lists them all: PAM, GSSAPI principals and ident answers
        // name users the configuration cannot enumerate.
        bool identNames = options.IdentMode != IdentMode.Off || rules.Rules.Any(rule => rule.Ident != IdentMode.Off);
        bool usersEnumerable = options.PamService is null && options.Gssapi is null && !identNames;
        var known = new SortedSet<string>(users?.UserNames ?? [], StringComparer.Ordinal);
        known.UnionWith(groups.ByUser.Keys);
        string sources = options.UsersFile is { } usersFile
            ? options.GroupsFile is { } both ? $"the users file {usersFile} or the groups file {both}" : $"the users file {usersFile}"
            : options.GroupsFile is { } groupsOnly ? $"the groups file {groupsOnly}" : "any users file (the configuration has none, nor PAM or GSSAPI: nobody logs in)";

        for (int i = 0; i < rules.Rules.Count; i++)
        {
            AccessRule rule = rules.Rules[i];
            if (rule.Users is null)
            {
                continue;
            }

            if (usersEnumerable)
            {
                foreach (string user in rule.Users.Users.Where(u => !known.Contains(u)).Order(StringComparer.Ordinal))
                {
                    string fix = Suggestions.Closest(user, known) is { } near
                        ? $"did you mean \"{near}\"?"
                        : options.UsersFile is null ? "add the user with windsock passwd USERS_FILE " + user + " and set auth.users_file" : $"add the user: windsock passwd {options.UsersFile} {user}";
                    yield return $"{rule.Location}: warning: {rule.Describe(i + 1)} names user \"{user}\", who is not in {sources}; the rule never matches them. fix: {fix}";
                }
            }

            if (options.GroupsFile is not { } groupsFile)
            {
                continue;
            }

            foreach (string group in rule.Users.Groups.Where(g => !groups.Groups.Contains(g)).Order(StringComparer.Ordinal))
            {
                string suggestion = Suggestions.Closest(group, groups.Groups) is { } near ? $" fix: did you mean \"{near}\"?" : string.Empty;
                yield return $"{rule.Location}: warning: {rule.Describe(i + 1)} names group \"{group}\", which {groupsFile} does not define{suggestion}";
            }
        }
    }
}
