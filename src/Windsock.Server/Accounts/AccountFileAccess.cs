using System.Globalization;

namespace Windsock.Server.Accounts;

/// <summary>
/// Whether an account could read a file, from the file's owner, group and mode and the account's groups
/// (the kernel's own rule, for the file and the search bit of each folder above it). `windsock check`
/// runs as root but the server it checks switches to <c>[server] user</c>: this says before any start
/// what that account would be refused.
/// </summary>
public static unsafe class AccountFileAccess
{
    private const int MaxGroups = 65536;

    /// <summary>Why <paramref name="account"/> could not read <paramref name="path"/>, or null when it could (or when that cannot be told).</summary>
    public static string? WhyUnreadable(string path, UnixAccount account)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(account);
        if (!OperatingSystem.IsLinux() || !File.Exists(path))
        {
            return null;
        }

        HashSet<uint> groups = Groups(account);
        string full = Path.GetFullPath(path);
        for (string? folder = Path.GetDirectoryName(full); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (!Allows(folder, account, groups, UnixFileMode.UserExecute, UnixFileMode.GroupExecute, UnixFileMode.OtherExecute))
            {
                return $"{account.UserName} cannot enter the folder {folder} ({Describe(folder)})";
            }
        }

        return Allows(full, account, groups, UnixFileMode.UserRead, UnixFileMode.GroupRead, UnixFileMode.OtherRead)
            ? null
            : $"{account.UserName} cannot read {full} ({Describe(full)})";
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static bool Allows(string path, UnixAccount account, HashSet<uint> groups, UnixFileMode user, UnixFileMode group, UnixFileMode other)
    {
        if (FileOwnership.Get(path) is not { } owner)
        {
            return true;
        }

        UnixFileMode mode = File.GetUnixFileMode(path);
        if (owner.UserId == account.UserId)
        {
            return (mode & user) != 0;
        }

        return groups.Contains(owner.GroupId) ? (mode & group) != 0 : (mode & other) != 0;
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static string Describe(string path)
    {
        (uint uid, uint gid) = FileOwnership.Get(path) ?? (0, 0);
        string mode = Convert.ToString((int)File.GetUnixFileMode(path) & 0xFFF, 8).PadLeft(4, '0');
        return string.Create(CultureInfo.InvariantCulture, $"{UnixAccounts.UserName(uid)}:{UnixAccounts.GroupName(gid)}, mode {mode}");
    }

    /// <summary>The account's group and its supplementary groups, as initgroups would set them.</summary>
    private static HashSet<uint> Groups(UnixAccount account)
    {
        int count = 64;
        while (count <= MaxGroups)
        {
            uint[] buffer = new uint[count];
            int found = count;
            fixed (uint* groups = buffer)
            {
                if (UnixAccountNative.GetGroupList(account.UserName, account.GroupId, groups, &found) >= 0)
                {
                    return [.. buffer.Take(found), account.GroupId];
                }
            }

            count = Math.Max(count * 2, found);
        }

        return [account.GroupId];
    }
}
