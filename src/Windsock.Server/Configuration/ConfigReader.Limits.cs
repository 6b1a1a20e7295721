using System.Globalization;
using Tomlyn.Syntax;

namespace Windsock.Server.Configuration;

/// <summary>The kinds of value the <c>[limits]</c> section reads: rates and bandwidths.</summary>
internal sealed partial class ConfigReader
{
    /// <summary>A value of the right type that is not one the key accepts (a section reader's own check).</summary>
    internal void InvalidValue(ValueSyntax value, string message, string fix) => Problem(value, message, fix);

    /// <summary>A rate per second: a positive integer or float, at most <paramref name="max"/>.</summary>
    internal double? ReadRate(string key, ValueSyntax value, double max)
    {
        double rate;
        switch (value)
        {
            case IntegerValueSyntax integer:
                rate = integer.Value;
                break;
            case FloatValueSyntax number:
                rate = number.Value;
                break;
            default:
                WrongType(key, value, "a number per second (without quotes), e.g. 20 or 0.5");
                return null;
        }

        if (!(rate > 0) || rate > max)
        {
            Problem(value, string.Create(CultureInfo.InvariantCulture, $"{key} is {rate}, outside the range above 0 up to {max}"),
                string.Create(CultureInfo.InvariantCulture, $"write a number per second above 0 and at most {max}, or remove the key for no limit"));
            return null;
        }

        return rate;
    }

    /// <summary>A bandwidth in bytes per second ("10MiB/s", or an integer), at least <see cref="ClientLimits.MinBandwidth"/>.</summary>
    internal long? ReadBandwidth(string key, ValueSyntax value)
    {
        long bytes;
        switch (value)
        {
            case StringValueSyntax text:
                if (!BandwidthSyntax.TryParse(text.Value ?? "", out bytes, out ValueProblem problem))
                {
                    Problem(value, problem with { Message = $"{key}: {problem.Message}" });
                    return null;
                }

                break;
            case IntegerValueSyntax integer:
                bytes = integer.Value;
                break;
            default:
                WrongType(key, value, "a bandwidth such as \"500KB/s\", \"10MiB/s\", or a whole number of bytes per second");
                return null;
        }

        if (bytes < ClientLimits.MinBandwidth)
        {
            Problem(value, string.Create(CultureInfo.InvariantCulture, $"{key} is {bytes} bytes per second, below the smallest limit of {ClientLimits.MinBandwidth}"),
                "write at least \"1KiB/s\" (below it every small packet would wait seconds), or remove the key for no limit");
            return null;
        }

        return bytes;
    }
}
