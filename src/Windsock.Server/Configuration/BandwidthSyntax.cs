using System.Globalization;

namespace Windsock.Server.Configuration;

/// <summary>
/// Bandwidths as administrators write them: bytes per second with an optional unit and "/s": "500KB/s",
/// "10MiB", "1GB/s" (KB, MB, GB are powers of 1000; KiB, MiB, GiB of 1024), or a bare integer of bytes
/// per second. Bits ("Mbit") are refused rather than guessed at: the fix (divide by 8) is the reader's.
/// </summary>
internal static class BandwidthSyntax
{
    private const long MaxBytesPerSecond = 1L << 40;

    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("KiB", 1024), ("MiB", 1024 * 1024), ("GiB", 1024 * 1024 * 1024),
        ("KB", 1000), ("MB", 1000 * 1000), ("GB", 1000 * 1000 * 1000),
        ("B", 1),
    ];

    public static bool TryParse(string text, out long bytesPerSecond, out ValueProblem problem)
    {
        bytesPerSecond = 0;
        problem = default;
        string body = text.Trim();
        if (body.EndsWith("/s", StringComparison.Ordinal))
        {
            body = body[..^2];
        }

        int digits = 0;
        while (digits < body.Length && char.IsAsciiDigit(body[digits]))
        {
            digits++;
        }

        string suffix = body[digits..].Trim();
        long factor = suffix.Length == 0 ? 1 : Units.FirstOrDefault(u => string.Equals(u.Suffix, suffix, StringComparison.Ordinal)).Factor;
        if (digits == 0 || factor == 0 || digits > 12)
        {
            string hint = suffix.Contains("bit", StringComparison.OrdinalIgnoreCase) || suffix.EndsWith('b')
                ? " (bits are not accepted: divide by 8 and write bytes, e.g. 100 Mbit/s is \"12500KB/s\")"
                : string.Empty;
            problem = new ValueProblem($"\"{text}\" is not a bandwidth{hint}", "write bytes per second with a unit: \"500KB/s\", \"10MiB/s\", \"1GB/s\", or a whole number of bytes per second");
            return false;
        }

        long number = long.Parse(body.AsSpan(0, digits), CultureInfo.InvariantCulture);
        if (number > MaxBytesPerSecond / factor)
        {
            problem = new ValueProblem($"\"{text}\" is more than a bandwidth limit can mean", "write a limit of at most \"1024GiB/s\", or remove the key for no limit");
            return false;
        }

        bytesPerSecond = number * factor;
        return true;
    }

    /// <summary>"10MiB/s", "500KB/s" or "1500B/s": the largest unit that divides the value, for messages and <c>windsock check</c>.</summary>
    public static string Format(long bytesPerSecond)
    {
        foreach (var (suffix, factor) in Units.OrderByDescending(u => u.Factor))
        {
            if (factor > 1 && bytesPerSecond % factor == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{bytesPerSecond / factor}{suffix}/s");
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{bytesPerSecond}B/s");
    }
}
