using System.Globalization;
using System.Text;

namespace Windsock.Server.Hooks;

/// <summary>
/// Expands the classic sockd %-codes (after Wietse Venema's percent_x): %A %a %c %p %S %s %U %u %Z %z
/// and %%. Every character of a substituted value outside the old safe set
/// <c>0-9 A-Z a-z ! @ % - _ = + : , . /</c> becomes '_', so a hostile user or host name cannot change
/// what a command (or a shell the administrator chose to run) does. Unknown codes expand to nothing,
/// as they always did. The administrator's own text is left as written.
/// </summary>
public static class HookExpansion
{
    private const string SafeCharacters = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!@%-_=+:,./";

    public static string Expand(string template, HookValues values, int processId)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        var result = new StringBuilder(template.Length + 32);
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if (c != '%' || i + 1 == template.Length)
            {
                result.Append(c);
                continue;
            }

            char code = template[++i];
            if (code == '%')
            {
                result.Append('%');
                continue;
            }

            AppendSanitised(result, code switch
            {
                'A' => values.ClientName ?? values.ClientAddress,
                'a' => values.ClientAddress,
                'c' => values.Command,
                'p' => processId.ToString(CultureInfo.InvariantCulture),
                'S' => values.Service ?? values.Port,
                's' => values.Port,
                'U' => values.IdentUser,
                'u' => values.SocksUser,
                'Z' => values.DestinationName ?? values.DestinationAddress,
                'z' => values.DestinationAddress,
                _ => null,
            });
        }

        return result.ToString();
    }

    public static string Sanitise(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var result = new StringBuilder(value.Length);
        AppendSanitised(result, value);
        return result.ToString();
    }

    private static void AppendSanitised(StringBuilder result, string? value)
    {
        if (value is null)
        {
            return;
        }

        foreach (char c in value)
        {
            result.Append(SafeCharacters.Contains(c, StringComparison.Ordinal) ? c : '_');
        }
    }
}
