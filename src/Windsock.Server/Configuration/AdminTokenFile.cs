using System.Globalization;

namespace Windsock.Server.Configuration;

/// <summary>
/// The admin listener's bearer token: one line in a file only its owner may read. A token others can read
/// is no secret, so a group- or world-accessible file is refused (the users file only warns: it holds hashes,
/// this holds the password itself).
/// </summary>
public static class AdminTokenFile
{
    private const UnixFileMode OthersOrGroup = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Shortest token accepted: 16 characters, guessing which over HTTP is hopeless.</summary>
    public const int MinLength = 16;

    /// <summary>What is wrong with the file's mode ("can be read ... (mode 0644)"); null when only its owner can use it.</summary>
    public static string? ModeProblem(string path)
    {
        if (OperatingSystem.IsWindows())
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
            return null; // reading it reports what is wrong
        }

        if ((mode & OthersOrGroup) == 0)
        {
            return null;
        }

        string octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
        return string.Create(CultureInfo.InvariantCulture, $"can be read or changed by others than its owner (mode {octal}), so the token is no secret");
    }

    /// <summary>Reads the token: the file's first line, trimmed. Throws <see cref="ConfigException"/> with the fix.</summary>
    public static string Read(string path)
    {
        if (ModeProblem(path) is { } problem)
        {
            throw new ConfigException(path, $"the admin token file {problem}", $"chmod 600 {path}");
        }

        string text = AdminFileReader.ReadText(path, "admin token file", 4096);
        string token = text.Split('\n', 2)[0].Trim();
        if (token.Length < MinLength || token.Any(c => char.IsControl(c) || c == ' '))
        {
            throw new ConfigException(path, 1, 1, $"the admin token must be at least {MinLength} characters on the first line, without spaces",
                $"write a random token, e.g. `head -c 24 /dev/urandom | base64 > {path}; chmod 600 {path}`");
        }

        return token;
    }
}
