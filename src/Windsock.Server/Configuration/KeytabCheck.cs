using Windsock.Server.Gssapi;

namespace Windsock.Server.Configuration;

/// <summary>
/// The GSSAPI keytab must be readable when the server starts or reloads, not at the first client's ticket: the
/// acceptor would only say "GenericFailure" then. Runs on the final options, like <see cref="OpenProxyGuard"/>.
/// </summary>
public static class KeytabCheck
{
    /// <summary>A keytab is a few kilobytes; anything far larger is not one the proxy should hand its acceptor.</summary>
    private const int MaxKeytabBytes = 1024 * 1024;

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
        string fix = Fix;
        try
        {
            using var stream = File.OpenRead(gssapi.Keytab);
            var head = new byte[(int)Math.Clamp(stream.Length, 2, MaxKeytabBytes)]; // beyond 1 MiB the entries go unchecked
            int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            // MIT's keytab format begins with 0x05 and its version (1 or 2).
            if (read < 2 || head[0] != 0x05 || head[1] is not (0x01 or 0x02))
            {
                problem = $"{gssapi.Keytab} is not a Kerberos keytab (it does not begin with 0x05 0x01 or 0x05 0x02)";
            }
            else if (gssapi.ServicePrincipal is { } service && OtherPrincipals(head.AsSpan(0, read), service) is { } others)
            {
                // The acceptor takes a ticket for any key it holds, and a ticket's service name is not authenticated:
                // with other keys present, service_principal would be a check a client can talk its way around.
                problem = $"{gssapi.Keytab} holds keys for {others} besides {service}; the GSSAPI library accepts a ticket for any of them, so service_principal could not be enforced";
                fix = $"give the server a keytab with only its own service's keys (kadmin: ktadd -k FILE {service.Split('@')[0]})";
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
            ? new ConfigException(file, line, column, problem, fix)
            : new ConfigException(origin, problem, fix);
    }

    /// <summary>The principals other than <paramref name="service"/> ("rcmd/host" matches it in any realm), listed; null when none or unreadable.</summary>
    private static string? OtherPrincipals(ReadOnlySpan<byte> keytab, string service)
    {
        if (KeytabPrincipals.TryRead(keytab) is not { } principals)
        {
            return null; // an entry layout this parser does not know: the acceptor remains the judge
        }

        bool withRealm = service.Contains('@', StringComparison.Ordinal);
        var others = principals
            .Where(p => !string.Equals(withRealm ? p : p[..p.LastIndexOf('@')], service, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        return others.Count == 0 ? null : string.Join(", ", others);
    }
}
