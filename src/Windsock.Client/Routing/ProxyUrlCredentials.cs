namespace Windsock.Client.Routing;

/// <summary>
/// Proxy passwords kept out of the URL, where <c>ps</c>, shell history and anyone who may read the routing file see
/// them. A routing-file or ALL_PROXY URL names its user only and gets the password from
/// <list type="bullet">
/// <item><c>?password-file=PATH</c>: the first line of that file (relative to the routing file's folder), or else</item>
/// <item><c>WINDSOCK_PROXY_PASSWORD</c>, the variable <c>windsock connect --proxy</c> reads too.</item>
/// </list>
/// ALL_PROXY, one proxy for everything, may also leave the user out and take <c>WINDSOCK_PROXY_USER</c> (as
/// <c>--proxy</c> does); a routing file's URLs do not, so one variable never hands its password to every proxy listed.
/// A password written in the URL itself still works.
/// </summary>
internal static class ProxyUrlCredentials
{
    public const string PasswordVariable = "WINDSOCK_PROXY_PASSWORD";
    public const string UserVariable = "WINDSOCK_PROXY_USER";
    public const string FileParameter = "password-file";

    /// <summary>
    /// Takes the user-only info and <c>password-file</c> off <paramref name="uri"/>: returns the URI that
    /// <see cref="ProxyHop.FromUri"/> reads and the credentials found elsewhere (null when the URL has its own
    /// password, or asks for none). Throws <see cref="FormatException"/> with one line saying what is missing.
    /// </summary>
    /// <param name="uri">The proxy URL as written.</param>
    /// <param name="folder">What a relative password-file path is relative to.</param>
    /// <param name="variable">The environment.</param>
    /// <param name="userFromEnvironment">ALL_PROXY: a URL without user info takes WINDSOCK_PROXY_USER with WINDSOCK_PROXY_PASSWORD.</param>
    public static (Uri Uri, SocksCredentials? Credentials) Split(Uri uri, string folder, Func<string, string?> variable, bool userFromEnvironment)
    {
        var rest = new List<string>();
        string? passwordFile = null;
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            if (pair.StartsWith(FileParameter + "=", StringComparison.Ordinal))
            {
                passwordFile = Uri.UnescapeDataString(pair[(FileParameter.Length + 1)..]);
            }
            else
            {
                rest.Add(pair);
            }
        }

        bool hasPassword = uri.UserInfo.Contains(':', StringComparison.Ordinal);
        if (hasPassword)
        {
            return passwordFile is null ? (uri, null) : throw new FormatException($"a password in the URL and {FileParameter}: keep one (the file keeps it out of sight)");
        }

        string? user = uri.UserInfo.Length > 0 ? Uri.UnescapeDataString(uri.UserInfo) : null;
        string? password;
        if (passwordFile is not null)
        {
            if (string.IsNullOrEmpty(passwordFile))
            {
                throw new FormatException($"{FileParameter}= needs a path");
            }

            user ??= userFromEnvironment ? NonEmpty(variable(UserVariable)) : null;
            if (user is null)
            {
                throw new FormatException($"{FileParameter} needs a user: write socks5h://USER@HOST:PORT?{FileParameter}={passwordFile}");
            }

            password = ReadFirstLine(Path.GetFullPath(passwordFile, folder));
        }
        else if (user is not null)
        {
            password = variable(PasswordVariable)
                ?? throw new FormatException($"no password for {user}: add ?{FileParameter}=PATH to the URL, or set {PasswordVariable}");
        }
        else
        {
            password = userFromEnvironment ? variable(PasswordVariable) : null;
            user = password is null ? null : NonEmpty(variable(UserVariable));
            if (user is null || password is null)
            {
                return (uri, null); // no user anywhere: the proxy is asked without credentials
            }
        }

        var bare = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty, Query = string.Join('&', rest) }.Uri;
        return (bare, new SocksCredentials(user, password));
    }

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static string ReadFirstLine(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            return reader.ReadLine() ?? string.Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{FileParameter} {path}: {e.Message}", e);
        }
    }
}
