using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Windsock.Server.Configuration;

/// <summary>An inclusive range of UDP or TCP ports, written "LOW-HIGH" ("40000-40100") or as one port ("40000").</summary>
public readonly record struct PortRange(int Low, int High)
{
    public int Count => High - Low + 1;

    public override string ToString() => Low == High
        ? Low.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Low}-{High}");

    public static bool TryParse(string text, [NotNullWhen(true)] out PortRange? range, out ValueProblem problem)
    {
        range = null;
        problem = default;
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        string lowText = dash < 0 ? text : text[..dash];
        string highText = dash < 0 ? text : text[(dash + 1)..];
        if (!TryParsePort(lowText.Trim(), out int low) || !TryParsePort(highText.Trim(), out int high))
        {
            problem = new ValueProblem($"\"{text}\" is not a port range", "write two ports from 1 to 65535 with a dash, e.g. \"40000-40100\", or one port");
            return false;
        }

        if (low > high)
        {
            problem = new ValueProblem($"port range \"{text}\" starts above its end", string.Create(CultureInfo.InvariantCulture, $"write the lower port first: \"{high}-{low}\""));
            return false;
        }

        range = new PortRange(low, high);
        return true;
    }

    private static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535 && text.Length <= 5;
}
