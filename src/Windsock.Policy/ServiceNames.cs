using System.Collections.Frozen;

namespace Windsock.Policy;

/// <summary>
/// The service names a port set may use. A fixed table rather than /etc/services, so a rule means
/// the same on every machine and in `windsock check` as in the server.
/// </summary>
public static class ServiceNames
{
    private static readonly (string Name, ushort Port)[] Table =
    [
        ("ftp-data", 20),
        ("ftp", 21),
        ("ssh", 22),
        ("telnet", 23),
        ("smtp", 25),
        ("domain", 53),
        ("dns", 53),
        ("http", 80),
        ("kerberos", 88),
        ("pop3", 110),
        ("ntp", 123),
        ("imap", 143),
        ("snmp", 161),
        ("ldap", 389),
        ("https", 443),
        ("smtps", 465),
        ("submission", 587),
        ("ldaps", 636),
        ("imaps", 993),
        ("pop3s", 995),
        ("socks", 1080),
        ("ms-sql", 1433),
        ("mysql", 3306),
        ("rdp", 3389),
        ("postgresql", 5432),
        ("http-alt", 8080),
    ];

    private static readonly FrozenDictionary<string, ushort> ByName =
        Table.ToFrozenDictionary(entry => entry.Name, entry => entry.Port, StringComparer.Ordinal);

    /// <summary>Every name in the table with its port, in port order.</summary>
    public static IReadOnlyList<(string Name, ushort Port)> All => Table;

    /// <summary>Looks up a lower-case service name.</summary>
    public static bool TryGetPort(string name, out ushort port) => ByName.TryGetValue(name, out port);

    /// <summary>The first name the table gives a port, for messages ("port 23 (telnet)").</summary>
    public static string? NameOf(ushort port)
    {
        foreach (var (name, p) in Table)
        {
            if (p == port)
            {
                return name;
            }
        }

        return null;
    }
}
