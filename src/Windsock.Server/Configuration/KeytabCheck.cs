namespace Windsock.Server.Configuration;

/// <summary>
/// The GSSAPI keytab must be readable when the server starts or reloads, not at the first client's ticket: the
/// acceptor would only say "GenericFailure" then. Runs on the final options, like <see cref="OpenProxyGuard"/>.
/// </summary>
public static class KeytabCheck
{
    private const string Fix = "point gssapi.keytab at the keytab holding the proxy's service key (kadmin: ktadd -k FILE rcmd/HOST), readable by the user windsock runs as";

    /// <returns>Null when there is no keytab to check or it is readable; otherwise the error, at the key that named it.</returns>
    public static ConfigException? Check(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Gssapi is not { } gssapi)
        {
            return null;
        }

        string? problem = null;
        try
        {
            using var stream = File.OpenRead(gssapi.Keytab);
            // MIT's keytab format begins with 0x05 and its version (1 or 2).
            int first = stream.ReadByte();
            int version = stream.ReadByte();
            if (first != 0x05 || version is not (0x01 or 0x02))
            {
                problem = $"{gssapi.Keytab} is not a Kerberos keytab (it does not begin with 0x05 0x01 or 0x05 0x02)";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read the keytab {gssapi.Keytab}: {e.Message}";
        }

        if (problem is null)
        {
            return null;
        }

        string origin = options.Origins.TryGetValue("gssapi.keytab", out var where) ? where : "gssapi.keytab";
        return ConfigOrigin.TryParse(origin, out string file, out int line, out int column)
            ? new ConfigException(file, line, column, problem, Fix)
            : new ConfigException(origin, problem, Fix);
    }
}
