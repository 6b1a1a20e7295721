using System.Diagnostics.CodeAnalysis;
using System.Text;
using Windsock.Server.Accounts;
using Windsock.Server.Configuration;

namespace Windsock.Server.Authentication;

/// <summary>
/// The users file: one <c>name:hash</c> per line, <c>#</c> comments and blank lines ignored.
/// Loading is pure and cheap (no PBKDF2 runs), so a reload can validate a new file completely
/// before it replaces the running one. Edits rewrite the file atomically and keep every other
/// line, comments included, as the administrator wrote them.
/// </summary>
public static class UserFile
{
    // Enough for about a hundred thousand users; protects against pointing at the wrong file.
    private const int MaxFileBytes = 16 * 1024 * 1024;

    private const string What = "users file";

    /// <summary>New files hold password hashes: readable by their owner only...</summary>
    private const UnixFileMode CreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>...and by the service's group when root creates one where the <see cref="ServiceGroup"/> exists.</summary>
    private const UnixFileMode ServiceCreateMode = CreateMode | UnixFileMode.GroupRead;

    /// <summary>
    /// The group the packaged service runs as (packaging/systemd/windsock.service, the Debian package's
    /// postinst). A users file root creates is root:windsock 0640, so the service reads it through its
    /// group and cannot change it.
    /// </summary>
    public const string ServiceGroup = "windsock";

    /// <exception cref="ConfigException">The file is missing, unreadable or has a malformed line.</exception>
    public static UserStore Load(string path, PasswordHasher? hasher = null)
    {
        string text = AdminFileReader.ReadText(path, What, MaxFileBytes);
        return Parse(text, path, hasher);
    }

    /// <exception cref="ConfigException">A line is malformed; the error names its line.</exception>
    public static UserStore Parse(string text, string fileName, PasswordHasher? hasher = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] rawLines = SplitLines(text);
        for (int i = 0; i < rawLines.Length; i++)
        {
            int lineNumber = i + 1;
            if (!TryParseLine(rawLines[i], fileName, lineNumber, out string? user, out string? hash))
            {
                continue;
            }

            if (lines.TryGetValue(user, out int firstLine))
            {
                throw new ConfigException(fileName, lineNumber, 1, $"user \"{user}\" is already defined on line {firstLine}", "remove one of the two lines");
            }

            lines.Add(user, lineNumber);
            hashes.Add(user, hash);
        }

        return new UserStore(hashes, hasher ?? PasswordHasher.Default);
    }

    /// <summary>
    /// Adds the user or changes their password, creating the file if it is missing: see
    /// <see cref="NewFileOwnership()"/> for its owner and mode. An existing file keeps its owner, group and mode.
    /// </summary>
    /// <exception cref="ArgumentException">The user name or password breaks <see cref="CredentialRules"/>.</exception>
    /// <exception cref="ConfigException">The existing file is unreadable or malformed; it is left untouched.</exception>
    /// <exception cref="IOException">Writing failed; the old file is left untouched.</exception>
    public static UserFileChange SetPassword(string path, string userName, string password, PasswordHasher? hasher = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowIfInvalid(CredentialRules.CheckUserName(userName), nameof(userName));
        ThrowIfInvalid(CredentialRules.CheckPassword(password), nameof(password));

        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new ConfigException(path, "the folder of the users file does not exist", $"create it first (mkdir -p {folder})");
        }

        List<string> lines = ReadForEdit(path);
        string entry = $"{userName}:{(hasher ?? PasswordHasher.Default).Hash(password)}";
        int index = FindUser(lines, path, userName);
        UserFileChange change;
        if (index >= 0)
        {
            lines[index] = entry;
            change = UserFileChange.Changed;
        }
        else
        {
            lines.Add(entry);
            change = UserFileChange.Added;
        }

        Write(path, lines);
        return change;
    }

    /// <returns>False when the user was not in the file (which is then not rewritten).</returns>
    /// <exception cref="ConfigException">The file is missing, unreadable or malformed; it is left untouched.</exception>
    public static bool Remove(string path, string userName)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(userName);
        if (!File.Exists(path))
        {
            // Through the reader, for the same wording as every other missing-file error.
            AdminFileReader.ReadText(path, What, MaxFileBytes);
        }

        List<string> lines = ReadForEdit(path);
        int index = FindUser(lines, path, userName);
        if (index < 0)
        {
            return false;
        }

        lines.RemoveAt(index);
        Write(path, lines);
        return true;
    }

    private static bool TryParseLine(string line, string fileName, int lineNumber, [NotNullWhen(true)] out string? user, [NotNullWhen(true)] out string? hash)
    {
        user = null;
        hash = null;
        string trimmed = line.TrimStart();
        if (trimmed.Length == 0 || trimmed[0] == '#')
        {
            return false;
        }

        int colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            throw new ConfigException(fileName, lineNumber, 1, "line has no ':' between user name and hash", "write USER:HASH, or set the password with `windsock passwd FILE USER`");
        }

        string name = line[..colon];
        string? nameProblem = CredentialRules.CheckUserName(name);
        if (nameProblem is not null)
        {
            throw new ConfigException(fileName, lineNumber, 1, nameProblem, "rename the user (user names are 1-255 bytes of UTF-8 without ':' or control characters)");
        }

        string encoded = line[(colon + 1)..];
        if (!PasswordHasher.IsWellFormed(encoded))
        {
            throw new ConfigException(fileName, lineNumber, colon + 2, $"the password hash of \"{name}\" is not in a format windsock understands", $"set the password again with `windsock passwd {fileName} {name}`");
        }

        user = name;
        hash = encoded;
        return true;
    }

    /// <summary>Reads the current lines and validates them, so an edit never builds on a broken file.</summary>
    private static List<string> ReadForEdit(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return [];
        }

        string text = AdminFileReader.ReadText(path, What, MaxFileBytes);
        _ = Parse(text, path);
        return [.. SplitLines(text)];
    }

    private static int FindUser(List<string> lines, string fileName, string userName)
    {
        for (int i = 0; i < lines.Count; i++)
        {
            if (TryParseLine(lines[i], fileName, i + 1, out string? user, out _) && user == userName)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// What a new users file gets: root:windsock 0640 when root creates it and the windsock group exists
    /// (the service's setup), otherwise the creator's own 0600.
    /// </summary>
    public static (UnixFileMode Mode, uint? GroupId) NewFileOwnership() => NewFileOwnership(ServiceGroup);

    internal static (UnixFileMode Mode, uint? GroupId) NewFileOwnership(string serviceGroup)
    {
        if (OperatingSystem.IsLinux() && UnixAccounts.EffectiveUserId == 0 && UnixAccounts.FindGroup(serviceGroup) is { } gid)
        {
            return (ServiceCreateMode, gid);
        }

        return (CreateMode, null);
    }

    private static void Write(string path, List<string> lines)
    {
        var builder = new StringBuilder();
        foreach (string line in lines)
        {
            builder.Append(line).Append('\n');
        }

        (UnixFileMode mode, uint? groupId) = NewFileOwnership();
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(builder.ToString()), mode, groupId is { } gid ? (0u, gid) : null);
    }

    /// <summary>Lines without their terminators; a final newline does not make an extra empty line.</summary>
    private static string[] SplitLines(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].EndsWith('\r'))
            {
                lines[i] = lines[i][..^1];
            }
        }

        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    private static void ThrowIfInvalid(string? problem, string parameterName)
    {
        if (problem is not null)
        {
            throw new ArgumentException(problem, parameterName);
        }
    }
}
