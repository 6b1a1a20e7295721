using System.Globalization;
using System.Runtime.InteropServices;
using Windsock.Server.Accounts;

namespace Windsock.Cli;

/// <summary>
/// Start as root, bind, then become <c>[server] user</c> for good: supplementary groups from the account
/// database (initgroups, so e.g. the shadow group for PAM comes along), then the group, then the user,
/// real, effective and saved alike. glibc applies each call to every thread of the process. Afterwards
/// the switch is proven rather than trusted: the ids are read back, setuid(0) must fail, and the kernel
/// must report no capability left.
/// </summary>
internal static partial class PrivilegeDrop
{
    /// <summary>Switches to <paramref name="account"/>; returns why that failed, or null when the process now runs as it.</summary>
    public static string? SwitchTo(UnixAccount account)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "[server] user works on Linux only";
        }

        uint euid = GetEffectiveUserId();
        if (euid == account.UserId && GetEffectiveGroupId() == account.GroupId && GetRealUserId() == account.UserId)
        {
            // Already that account (systemd's User= did it): nothing to drop.
            return null;
        }

        if (euid != 0)
        {
            return $"[server] user = \"{account.UserName}\" needs the server started as root, to switch after binding; it was started as {UnixAccounts.DescribeSelf()}. "
                + "Start it as root, or leave user out when the service manager already runs it as that account (systemd's User=)";
        }

        if (InitGroups(account.UserName, account.GroupId) != 0)
        {
            return Failed($"initgroups({account.UserName})");
        }

        if (SetResGid(account.GroupId, account.GroupId, account.GroupId) != 0)
        {
            return Failed($"setresgid({account.GroupId})");
        }

        if (SetResUid(account.UserId, account.UserId, account.UserId) != 0)
        {
            return Failed($"setresuid({account.UserId})");
        }

        return Verify(account);
    }

    private static string? Verify(UnixAccount account)
    {
        if (GetRealUserId() != account.UserId || GetEffectiveUserId() != account.UserId || GetRealGroupId() != account.GroupId || GetEffectiveGroupId() != account.GroupId)
        {
            return string.Create(CultureInfo.InvariantCulture, $"after switching to {account.UserName} the process still runs as uid {GetRealUserId()}/{GetEffectiveUserId()}, gid {GetRealGroupId()}/{GetEffectiveGroupId()}");
        }

        if (SetResUid(0, 0, 0) == 0)
        {
            return $"after switching to {account.UserName} the process could become root again; refusing to run";
        }

        string? effective = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        if (effective is null || effective["CapEff:".Length..].Trim().Any(c => c != '0'))
        {
            return $"after switching to {account.UserName} the process still has capabilities ({effective?.Trim() ?? "CapEff unknown"}); refusing to run";
        }

        return null;
    }

    private static string Failed(string call) =>
        $"{call} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}; the server does not run on as root";

    [LibraryImport("libc", EntryPoint = "initgroups", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int InitGroups(string user, uint group);

    [LibraryImport("libc", EntryPoint = "setresgid", SetLastError = true)]
    private static partial int SetResGid(uint real, uint effective, uint saved);

    [LibraryImport("libc", EntryPoint = "setresuid", SetLastError = true)]
    private static partial int SetResUid(uint real, uint effective, uint saved);

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint GetRealUserId();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "getgid")]
    private static partial uint GetRealGroupId();

    [LibraryImport("libc", EntryPoint = "getegid")]
    private static partial uint GetEffectiveGroupId();
}
