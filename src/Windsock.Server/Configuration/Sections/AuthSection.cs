namespace Windsock.Server.Configuration.Sections;

/// <summary><c>[auth]</c>: the users file, PAM, the groups file (docs/configuration.md, docs/pam.md).</summary>
internal static class AuthSection
{
    public static ConfigSection Schema { get; } = new(ConfigSchema.Auth,
    [
        new("users_file", static (r, key, _, e, o) =>
            r.ReadAdminFilePath(key, e.Value, "/etc/windsock/users", "name the users file (create it with `windsock passwd FILE USER`), or remove the line to run without authentication") is { } file
                ? o with { UsersFile = file }
                : null),
        new("pam_service", static (r, key, _, e, o) => r.ReadPamService(key, e.Value) is { } service ? o with { PamService = service } : null),
        new("groups_file", static (r, key, _, e, o) =>
            r.ReadAdminFilePath(key, e.Value, "/etc/windsock/groups", "name the groups file (lines of \"group: user1, user2\"), or remove the line if no rule names groups") is { } file
                ? o with { GroupsFile = file }
                : null),
    ]);
}
