using System.Globalization;

namespace Windsock.Server.Configuration;

/// <summary>
/// Whether the users file is kept private. It holds password hashes: anyone who can read it can
/// guess passwords offline at their own pace, and anyone who can write it can add a user.
/// `windsock passwd` creates it with mode 0600; a file copied or edited by hand may not be.
/// Group read access is left alone: root:windsock 0640 is how the service reads the file (what
/// `windsock passwd` creates as root where the windsock group exists), so the fix named keeps it.
/// </summary>
public static class UsersFileMode
{
    private const UnixFileMode Exposed = UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>A warning with the fix when the file is readable by others or writable by group or others; null otherwise (or when its mode cannot be read).</summary>
    public static string? Warning(string? path) =>
        Warning(path, "users file", "the password hashes can be copied and guessed offline", "anyone there can add a user");

    /// <summary>
    /// The same check for another secret the server reads (an upstream hop's password file): a warning naming
    /// <paramref name="what"/>, what reading and writing it allow, and the chmod that fixes it; null when private.
    /// </summary>
    public static string? Warning(string? path, string what, string ifRead, string ifWritten)
    {
        if (path is null || OperatingSystem.IsWindows())
        {
            return null;
        }

        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // loading the file reports what is wrong with it
        }

        if ((mode & Exposed) == 0)
        {
            return null;
        }

        var who = new List<string>(3);
        if ((mode & UnixFileMode.OtherRead) != 0)
        {
            who.Add($"readable by every user of this host ({ifRead})");
        }

        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            who.Add($"writable by {((mode & UnixFileMode.OtherWrite) != 0 ? "every user of this host" : "its group")} ({ifWritten})");
        }

        // The fix takes away exactly what is exposed (others' access, the group's write and execute), so a
        // deliberate group read survives: 0644 becomes 0640, 0666 becomes 0640, 0604 becomes 0600.
        UnixFileMode fixedMode = mode & ~(UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);
        return string.Create(CultureInfo.InvariantCulture, $"{what} {path} is {string.Join(" and ", who)}: mode {Octal(mode)}; fix: chmod {Octal(fixedMode)[1..]} {path}");
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
}
