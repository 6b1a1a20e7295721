using System.Globalization;

namespace Windsock.Server.Configuration;

/// <summary>
/// Port ranges as firewall rules write them: "40000-40100", or a single port "40000". Port 0 is
/// refused: it means "any port" to the system, which is what leaving the key out already says.
/// </summary>
internal static class PortRangeSyntax
{
    private const string Example = "write FIRST-LAST with ports from 1 to 65535, e.g. \"40000-40100\"";

    public static bool TryParse(string text, out PortRange range, out ValueProblem problem)
    {
        range = default;
        problem = default;

        int dash = text.IndexOf('-', StringComparison.Ordinal);
        string firstText = dash < 0 ? text : text[..dash];
        string lastText = dash < 0 ? text : text[(dash + 1)..];
        if (!TryParsePort(firstText, out int first) || !TryParsePort(lastText, out int last))
        {
            problem = new ValueProblem($"\"{text}\" is not a port range", Example);
            return false;
        }

        if (first > last)
        {
            problem = new ValueProblem($"port range \"{text}\" ends before it starts", string.Create(CultureInfo.InvariantCulture, $"write the lower port first: \"{last}-{first}\""));
            return false;
        }

        range = new PortRange(first, last);
        return true;
    }

    private static bool TryParsePort(string text, out int port)
    {
        port = 0;
        return text.Length is > 0 and <= 5
            && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port is >= 1 and <= 65535;
    }
}
