using System.Runtime.InteropServices;

namespace Windsock.Server.Accounts;

/// <summary>
/// Looks up users and groups in the host's account database (files, LDAP, whatever nsswitch.conf
/// says), through the reentrant C library calls. Linux only; elsewhere every lookup finds nothing.
/// </summary>
public static unsafe class UnixAccounts
{
    // Large enough for any sane entry; a group with thousands of members may need more, so ERANGE
    // doubles it up to the cap.
    private const int InitialBuffer = 4096;
    private const int MaxBuffer = 1024 * 1024;

    /// <summary>The effective user id of this process (0 is root).</summary>
    public static uint EffectiveUserId => OperatingSystem.IsLinux() ? UnixAccountNative.GetEffectiveUserId() : uint.MaxValue;

    /// <summary>The effective group id of this process.</summary>
    public static uint EffectiveGroupId => OperatingSystem.IsLinux() ? UnixAccountNative.GetEffectiveGroupId() : uint.MaxValue;

    /// <summary>Who this process runs as, for messages: "windsock:windsock (uid 999, gid 999)".</summary>
    public static string DescribeSelf() => OperatingSystem.IsLinux()
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{UserName(EffectiveUserId)}:{GroupName(EffectiveGroupId)} (uid {EffectiveUserId}, gid {EffectiveGroupId})")
        : Environment.UserName;

    /// <summary>A user's id and primary group id, or null when there is no such user.</summary>
    public static (uint UserId, uint GroupId)? FindUser(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!OperatingSystem.IsLinux() || name.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        return WithBuffer<(uint, uint)?>(
            sizeof(UnixAccountNative.Passwd),
            (entry, buffer, size, found) => UnixAccountNative.GetPasswdByName(name, (UnixAccountNative.Passwd*)entry, buffer, size, (UnixAccountNative.Passwd**)found),
            found => (((UnixAccountNative.Passwd*)found)->UserId, ((UnixAccountNative.Passwd*)found)->GroupId));
    }

    /// <summary>A group's id, or null when there is no such group.</summary>
    public static uint? FindGroup(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!OperatingSystem.IsLinux() || name.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        return WithBuffer<uint?>(
            sizeof(UnixAccountNative.Group),
            (entry, buffer, size, found) => UnixAccountNative.GetGroupByName(name, (UnixAccountNative.Group*)entry, buffer, size, (UnixAccountNative.Group**)found),
            found => ((UnixAccountNative.Group*)found)->GroupId);
    }

    /// <summary>The name of a user id, or the number itself when the database has no name for it.</summary>
    public static string UserName(uint uid)
    {
        if (!OperatingSystem.IsLinux())
        {
            return uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return WithBuffer(
            sizeof(UnixAccountNative.Passwd),
            (entry, buffer, size, found) => UnixAccountNative.GetPasswdById(uid, (UnixAccountNative.Passwd*)entry, buffer, size, (UnixAccountNative.Passwd**)found),
            found => Marshal.PtrToStringUTF8((nint)((UnixAccountNative.Passwd*)found)->Name))
            ?? uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The name of a group id, or the number itself when the database has no name for it.</summary>
    public static string GroupName(uint gid)
    {
        if (!OperatingSystem.IsLinux())
        {
            return gid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return WithBuffer(
            sizeof(UnixAccountNative.Group),
            (entry, buffer, size, found) => UnixAccountNative.GetGroupById(gid, (UnixAccountNative.Group*)entry, buffer, size, (UnixAccountNative.Group**)found),
            found => Marshal.PtrToStringUTF8((nint)((UnixAccountNative.Group*)found)->Name))
            ?? gid.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A *_r call: fills <c>entry</c> from <c>buffer</c> and points <c>result</c> at it, or leaves <c>result</c> null when not found.</summary>
    private delegate int Lookup(void* entry, byte* buffer, nuint size, void** result);

    private delegate T ReadEntry<T>(void* entry);

    /// <summary>Runs a *_r lookup with a buffer that grows on ERANGE, and reads the entry while the buffer lives.</summary>
    private static T? WithBuffer<T>(int entrySize, Lookup lookup, ReadEntry<T> read)
    {
        for (int size = InitialBuffer; size <= MaxBuffer; size *= 2)
        {
            // One block: the entry, then the strings it points into.
            byte* block = (byte*)NativeMemory.Alloc((nuint)(entrySize + size));
            try
            {
                void* found = null;
                int error = lookup(block, block + entrySize, (nuint)size, &found);
                if (error == UnixAccountNative.Erange)
                {
                    continue;
                }

                // Any other error (ENOENT, EIO from a directory service) reads as "not found": the caller's
                // message says which name was looked up and how to check it (getent).
                return error == 0 && found is not null ? read(found) : default;
            }
            finally
            {
                NativeMemory.Free(block);
            }
        }

        return default;
    }
}
