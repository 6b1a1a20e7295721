using System.Globalization;
using System.Text;

namespace Windsock.Server.Hooks;

/// <summary>
/// Expands the classic sockd %-codes (after Wietse Venema's percent_x): %A %a %c %p %S %s %U %u %Z %z
/// and %%. A substituted value can neither change what a command (or a shell the administrator
/// chose to run) does, nor become an option or a path, whatever the client sent:
/// <list type="number">
/// <item>every character outside <c>0-9 A-Z a-z ! @ % - _ = + : , .</c> becomes '_': no shell
/// character, no space, no '/' (a value never names another directory);</item>
/// <item>a value that then starts with anything but a letter, a digit, '_' or ':' gets a '_' in
/// front: no leading '-' or '+' (an option), '=', '@' (a response file), '.' ('.' and '..'), '!',
/// '%' or ','. ':' may lead because IPv6 addresses (%a, %z) start with it.</item>
/// </list>
/// Unknown codes expand to nothing, as they always did. The administrator's own text is left as written.
/// </summary>
public static class HookExpansion
{
    private const string SafeCharacters = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!@%-_=+:,.";

    /// <summary>Put in front of a value whose first character a program could read as an option, a file or a directory.</summary>
    public const char Guard = '_';

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

    private static char Safe(char c) => SafeCharacters.Contains(c, StringComparison.Ordinal) ? c : '_';

    private static void AppendSanitised(StringBuilder result, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        char first = Safe(value[0]);
        if (!char.IsAsciiLetterOrDigit(first) && first is not ':' and not Guard)
        {
            result.Append(Guard);
        }

        foreach (char c in value)
        {
            result.Append(Safe(c));
        }
    }
}
