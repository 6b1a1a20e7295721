using Tomlyn.Syntax;
using Windsock.Protocol.Gssapi;
using Windsock.Server.Gssapi;

namespace Windsock.Server.Configuration;

/// <summary>The <c>[gssapi]</c> section (docs/gssapi.md): keytab, service principal, accepted protection levels.</summary>
internal sealed partial class ConfigReader
{
    /// <summary>The first key of [gssapi], to point at when the section lacks its keytab.</summary>
    private SyntaxNode? _firstGssapiKey;

    internal ServerOptions? ApplyGssapi(ServerOptions options, string name, TomlEntry entry)
    {
        string key = $"{ConfigSchema.Gssapi}.{name}";
        _firstGssapiKey ??= (SyntaxNode?)entry.KeyValue.Key ?? entry.KeyValue;
        ValueSyntax value = entry.Value;
        GssapiOptions current = options.Gssapi ?? new GssapiOptions();
        switch (name)
        {
            case "keytab":
                string? keytab = ReadAdminFilePath(key, value, "/etc/windsock/krb5.keytab", "name the keytab holding the proxy's service key (ktutil or kadmin ktadd make one), or remove the [gssapi] section");
                return keytab is null ? null : options with { Gssapi = current with { Keytab = keytab } };

            case "service_principal":
                string? principal = ReadServicePrincipal(key, value);
                return principal is null ? null : options with { Gssapi = current with { ServicePrincipal = principal } };

            case "protection":
                List<GssapiProtectionLevel>? levels = ReadProtection(key, value);
                return levels is null ? null : options with { Gssapi = current with { Protection = levels } };

            default:
                throw new InvalidOperationException($"configuration key {key} has no reader");
        }
    }

    /// <summary>The check that needs the whole section: it is turned on by its keytab.</summary>
    public ServerOptions FinishGssapi(ServerOptions options)
    {
        if (options.Gssapi is { Keytab.Length: 0 } && _firstGssapiKey is not null)
        {
            Problem(_firstGssapiKey, "[gssapi] is set but has no keytab, so the server could not accept any Kerberos ticket", "set keytab = \"/etc/windsock/krb5.keytab\" (the file holding the service key), or remove the [gssapi] section");
        }

        return options;
    }

    private string? ReadServicePrincipal(string key, ValueSyntax value)
    {
        const string Example = "\"rcmd/proxy.example.org@EXAMPLE.ORG\"";
        if (value is not StringValueSyntax text)
        {
            WrongType(key, value, $"a principal in quotes, e.g. {Example}");
            return null;
        }

        string principal = text.Value ?? "";
        int slash = principal.IndexOf('/', StringComparison.Ordinal);
        int at = principal.IndexOf('@', StringComparison.Ordinal);
        bool wellFormed = slash > 0 && slash < principal.Length - 1 && (at < 0 || (at > slash + 1 && at < principal.Length - 1 && principal.LastIndexOf('@') == at))
            && !principal.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
        if (!wellFormed)
        {
            Problem(value, $"{key} \"{principal}\" is not a service principal", $"write SERVICE/HOST or SERVICE/HOST@REALM, e.g. {Example} (clients name the service \"rcmd\" unless told otherwise)");
            return null;
        }

        return principal;
    }

    private List<GssapiProtectionLevel>? ReadProtection(string key, ValueSyntax value)
    {
        const string Example = "[\"integrity\", \"confidentiality\"]";
        List<(string Text, StringValueSyntax Node)>? items = ReadStringArray(key, value, Example);
        if (items is null)
        {
            return null;
        }

        if (items.Count == 0)
        {
            Problem(value, $"{key} is empty, so no client could ever be served", $"list the levels to accept, e.g. {Example}, or [\"clear\"] for clients such as curl that authenticate but cannot protect data");
            return null;
        }

        var levels = new List<GssapiProtectionLevel>();
        bool ok = true;
        foreach ((string text, StringValueSyntax node) in items)
        {
            if (!GssapiLevelNames.TryParse(text, out GssapiProtectionLevel level))
            {
                string? close = Suggestions.Closest(text, ["clear", "integrity", "confidentiality", "selective"]);
                Problem(node, $"\"{text}\" is not a protection level", (close is null ? "" : $"did you mean \"{close}\"? ") + "write \"clear\", \"integrity\", \"confidentiality\" or \"selective\"");
                ok = false;
            }
            else if (levels.Contains(level))
            {
                Problem(node, $"{key} lists \"{text}\" twice", "remove the duplicate");
                ok = false;
            }
            else
            {
                levels.Add(level);
            }
        }

        return ok ? levels : null;
    }
}
