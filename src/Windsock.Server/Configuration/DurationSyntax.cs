using System.Globalization;

namespace Windsock.Server.Configuration;

/// <summary>
/// Durations as administrators write them: a whole number and one unit ("500ms", "10s", "5m",
/// "2h"). Fractions and compound forms ("1h30m") are refused rather than guessed at, because
/// "1.5" could as well be minutes as seconds and the fix (a smaller unit) is always available.
/// </summary>
internal static class DurationSyntax
{
    // Longer than any timeout here could sensibly be; keeps the arithmetic far from overflow.
    private const long MaxNumber = 1_000_000_000;

    private static readonly (string Suffix, long TicksPerUnit)[] Units =
    [
        ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour),
    ];

    public static bool TryParse(string text, out TimeSpan value, out ValueProblem problem)
    {
        value = default;
        problem = default;

        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        string suffix = text[digits..];
        if (digits == 0)
        {
            problem = text.StartsWith('-')
                ? new ValueProblem($"duration \"{text}\" is negative", "write a positive duration such as \"10s\"")
                : new ValueProblem($"\"{text}\" is not a duration", "write a whole number and a unit: \"500ms\", \"10s\", \"5m\" or \"2h\"");
            return false;
        }

        if (suffix.StartsWith('.') || suffix.StartsWith(','))
        {
            problem = new ValueProblem($"duration \"{text}\" has a fraction", "use a whole number of a smaller unit, e.g. \"1500ms\" for 1.5 seconds");
            return false;
        }

        long ticksPerUnit = 0;
        foreach ((string unitSuffix, long ticks) in Units)
        {
            if (suffix == unitSuffix)
            {
                ticksPerUnit = ticks;
                break;
            }
        }

        if (ticksPerUnit == 0)
        {
            problem = suffix.Length == 0
                ? new ValueProblem($"duration \"{text}\" has no unit", $"add a unit, e.g. \"{text}s\", or write the number of seconds without quotes")
                : new ValueProblem($"duration \"{text}\" has an unknown unit \"{suffix}\"", "use one of ms, s, m, h, e.g. \"10s\"");
            return false;
        }

        if (digits > 10 || !long.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out long number) || number > MaxNumber)
        {
            problem = new ValueProblem($"duration \"{text}\" is far too large", "write a duration of at most a few hours");
            return false;
        }

        value = TimeSpan.FromTicks(number * ticksPerUnit);
        return true;
    }

    /// <summary>The shortest exact form, for messages that quote a limit back ("between 1s and 10m").</summary>
    public static string Format(TimeSpan value)
    {
        long ticks = value.Ticks;
        if (ticks == 0)
        {
            return "0s";
        }

        for (int i = Units.Length - 1; i >= 0; i--)
        {
            if (ticks % Units[i].TicksPerUnit == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{ticks / Units[i].TicksPerUnit}{Units[i].Suffix}");
            }
        }

        return value.ToString("c", CultureInfo.InvariantCulture);
    }
}
