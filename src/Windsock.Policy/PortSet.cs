using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Windsock.Policy;

/// <summary>
/// A set of TCP/UDP ports: single ports, inclusive ranges ("1024-65535") and service names from
/// <see cref="ServiceNames"/>. Kept as sorted, merged ranges; lookups are a binary search.
/// </summary>
public sealed class PortSet
{
    private readonly (ushort Low, ushort High)[] _ranges;

    public PortSet(IEnumerable<(ushort Low, ushort High)> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var sorted = ranges.Select(r => r.Low <= r.High ? r : (r.High, r.Low)).OrderBy(r => r.Item1).ToList();
        var merged = new List<(ushort, ushort)>(sorted.Count);
        foreach (var (low, high) in sorted)
        {
            if (merged.Count > 0 && low <= merged[^1].Item2 + 1)
            {
                merged[^1] = (merged[^1].Item1, Math.Max(merged[^1].Item2, high));
            }
            else
            {
                merged.Add((low, high));
            }
        }

        _ranges = [.. merged];
    }

    public static PortSet Of(params ushort[] ports) => new(ports.Select(p => (p, p)));

    /// <summary>The merged ranges in ascending order.</summary>
    public IReadOnlyList<(ushort Low, ushort High)> Ranges => _ranges;

    public bool IsEmpty => _ranges.Length == 0;

    public bool Contains(ushort port)
    {
        int low = 0;
        int high = _ranges.Length - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            var range = _ranges[middle];
            if (port < range.Low)
            {
                high = middle - 1;
            }
            else if (port > range.High)
            {
                low = middle + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>"80,443,8000-8080,https": items separated by commas, spaces around them ignored.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out PortSet? set, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text.Split(',', StringSplitOptions.TrimEntries), out set, out _, out error);
    }

    /// <summary>
    /// The items of a config array, each a port, a range or a service name. On failure
    /// <paramref name="errorIndex"/> says which item was wrong.
    /// </summary>
    public static bool TryParse(IEnumerable<string> items, [NotNullWhen(true)] out PortSet? set, out int errorIndex, out string? error)
    {
        ArgumentNullException.ThrowIfNull(items);
        set = null;
        errorIndex = -1;
        error = null;
        var ranges = new List<(ushort, ushort)>();
        int index = 0;
        foreach (string item in items)
        {
            if (!TryParseItem(item, out var range, out error))
            {
                errorIndex = index;
                return false;
            }

            ranges.Add(range);
            index++;
        }

        if (ranges.Count == 0)
        {
            error = "an empty port list; leave the key out to match every port";
            return false;
        }

        set = new PortSet(ranges);
        return true;
    }

    /// <summary>One item: "443", "1024-65535" or "https".</summary>
    public static bool TryParseItem(string text, out (ushort Low, ushort High) range, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        range = default;
        error = null;
        if (text.Length == 0)
        {
            error = "an empty port item (two commas in a row?)";
            return false;
        }

        int dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0 && char.IsAsciiDigit(text[0]))
        {
            if (!TryParsePort(text[..dash], out ushort low, out error) || !TryParsePort(text[(dash + 1)..], out ushort high, out error))
            {
                error = $"port range \"{text}\": {error}";
                return false;
            }

            if (low > high)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"port range \"{text}\" runs backwards; write \"{high}-{low}\"");
                return false;
            }

            range = (low, high);
            return true;
        }

        if (char.IsAsciiDigit(text[0]))
        {
            if (!TryParsePort(text, out ushort port, out error))
            {
                return false;
            }

            range = (port, port);
            return true;
        }

        if (ServiceNames.TryGetPort(text, out ushort servicePort))
        {
            range = (servicePort, servicePort);
            return true;
        }

        error = $"\"{text}\" is not a port, a range like 1024-65535 or a known service name ({string.Join(", ", ServiceNames.All.Select(s => s.Name))})";
        return false;
    }

    public override string ToString()
    {
        var text = new StringBuilder("{");
        for (int i = 0; i < _ranges.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            var (low, high) = _ranges[i];
            text.Append(CultureInfo.InvariantCulture, $"{low}");
            if (high != low)
            {
                text.Append(CultureInfo.InvariantCulture, $"-{high}");
            }
        }

        return text.Append('}').ToString();
    }

    private static bool TryParsePort(string text, out ushort port, out string? error)
    {
        error = null;
        if (text.Length is 0 or > 5
            || !text.All(char.IsAsciiDigit)
            || !ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            port = 0;
            error = $"\"{text}\" is not a port number from 0 to 65535";
            return false;
        }

        return true;
    }
}
