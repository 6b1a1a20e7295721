using System.Runtime.InteropServices;

namespace Windsock.Server.Accounts;

/// <summary>A file's owner and group (statx), and changing them (chown). Linux only.</summary>
public static unsafe class FileOwnership
{
    /// <summary>The owner and group of <paramref name="path"/> (following links), or null when it cannot be read or off Linux.</summary>
    public static (uint UserId, uint GroupId)? Get(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        byte* buffer = stackalloc byte[UnixAccountNative.StatxSize];
        if (UnixAccountNative.Statx(UnixAccountNative.AtFdCwd, path, 0, UnixAccountNative.StatxUid | UnixAccountNative.StatxGid, buffer) != 0)
        {
            return null;
        }

        // The kernel writes the struct in the host's byte order.
        var fields = new ReadOnlySpan<byte>(buffer, UnixAccountNative.StatxSize);
        return (MemoryMarshal.Read<uint>(fields[UnixAccountNative.StatxUidOffset..]), MemoryMarshal.Read<uint>(fields[UnixAccountNative.StatxGidOffset..]));
    }

    /// <summary>Sets the owner and group of <paramref name="path"/>.</summary>
    /// <exception cref="IOException">chown failed (not permitted, no such file); the message has the reason.</exception>
    public static void Set(string path, uint uid, uint gid)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        if (UnixAccountNative.Chown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }
}
