using System.Runtime.InteropServices;

namespace Windsock.Server.Accounts;

/// <summary>
/// The C library's account and ownership calls, with glibc's LP64 layouts of struct passwd and struct
/// group (the same on x86-64 and arm64). statx is used for a file's owner because its struct is one
/// layout on every architecture, unlike struct stat.
/// </summary>
internal static unsafe partial class UnixAccountNative
{
    public const int Erange = 34;
    public const int AtFdCwd = -100;
    public const uint StatxUid = 0x0008;
    public const uint StatxGid = 0x0010;

    /// <summary>struct statx is 256 bytes; stx_uid and stx_gid sit at fixed offsets in it.</summary>
    public const int StatxSize = 256;
    public const int StatxUidOffset = 20;
    public const int StatxGidOffset = 24;

    [StructLayout(LayoutKind.Sequential)]
    public struct Passwd
    {
        public byte* Name;
        public byte* Password;
        public uint UserId;
        public uint GroupId;
        public byte* Gecos;
        public byte* Home;
        public byte* Shell;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Group
    {
        public byte* Name;
        public byte* Password;
        public uint GroupId;
        public byte** Members;
    }

    [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int GetPasswdByName(string name, Passwd* entry, byte* buffer, nuint size, Passwd** result);

    [LibraryImport("libc", EntryPoint = "getpwuid_r")]
    public static partial int GetPasswdById(uint uid, Passwd* entry, byte* buffer, nuint size, Passwd** result);

    [LibraryImport("libc", EntryPoint = "getgrnam_r", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int GetGroupByName(string name, Group* entry, byte* buffer, nuint size, Group** result);

    [LibraryImport("libc", EntryPoint = "getgrgid_r")]
    public static partial int GetGroupById(uint gid, Group* entry, byte* buffer, nuint size, Group** result);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "getgrouplist", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int GetGroupList(string user, uint group, uint* groups, int* count);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "getegid")]
    public static partial uint GetEffectiveGroupId();
}
