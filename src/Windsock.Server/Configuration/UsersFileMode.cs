using System.Globalization;

namespace Windsock.Server.Configuration;

/// <summary>
/// Whether the users file is kept private. It holds password hashes: anyone who can read it can
/// guess passwords offline at their own pace, and anyone who can write it can add a user.
/// `windsock passwd` creates it with mode 0600; a file copied or edited by hand may not be.
/// Group read access is left alone (0640 with a windsock group is a deliberate setup).
/// </summary>
public static class UsersFileMode
{
    private const UnixFileMode Exposed = UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>A warning with the fix when the file is readable by others or writable by group or others; null otherwise (or when its mode cannot be read).</summary>
    public static string? Warning(string? path)
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
            who.Add("readable by every user of this host (the password hashes can be copied and guessed offline)");
        }

        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            who.Add($"writable by {((mode & UnixFileMode.OtherWrite) != 0 ? "every user of this host" : "its group")} (anyone there can add a user)");
        }

        string octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
        return string.Create(CultureInfo.InvariantCulture, $"users file {path} is {string.Join(" and ", who)}: mode {octal}; fix: chmod 600 {path}");
    }
}
