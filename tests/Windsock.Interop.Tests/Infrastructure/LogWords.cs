using System.Globalization;
using System.Text.RegularExpressions;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// Loose readers of the request log: the tests pin what a line must say (who, where, how many
/// bytes, that a login failed), not the exact layout, which the server owns.
/// </summary>
public static partial class LogWords
{
    private static readonly string[] FailureWords =
        ["fail", "denied", "deny", "reject", "invalid", "bad password", "wrong", "unauthori", "refused"];

    public static bool IsFailure(string line) =>
        FailureWords.Any(w => line.Contains(w, StringComparison.OrdinalIgnoreCase));

    /// <summary>The line names <paramref name="number"/> as a whole number (a port, a byte count).</summary>
    public static bool HasNumber(string line, long number) =>
        Numbers(line).Contains(number);

    /// <summary>Every decimal number in the line.</summary>
    public static IEnumerable<long> Numbers(string line) =>
        Number().Matches(line).Select(m => long.TryParse(m.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1);

    [GeneratedRegex(@"(?<![0-9])[0-9]{1,18}(?![0-9])")]
    private static partial Regex Number();
}
