using System.Globalization;

namespace Windsock.Server.Configuration;

/// <summary>
/// The "file:line:col" strings kept in <see cref="ServerOptions.Origins"/>. They are strings so a
/// flag can be an origin too ("--listen"); this type turns them back into a position when a later
/// check (the open-proxy guard) has to point at the setting.
/// </summary>
internal static class ConfigOrigin
{
    public static string Format(string fileName, int line, int column) =>
        string.Create(CultureInfo.InvariantCulture, $"{fileName}:{line}:{column}");

    /// <summary>
    /// Splits from the right, because file names may contain colons (C:\etc\windsock.toml) but the
    /// two numbers never do.
    /// </summary>
    public static bool TryParse(string origin, out string fileName, out int line, out int column)
    {
        fileName = origin;
        line = 0;
        column = 0;
        int last = origin.LastIndexOf(':');
        if (last <= 0)
        {
            return false;
        }

        int middle = origin.LastIndexOf(':', last - 1);
        if (middle <= 0
            || !int.TryParse(origin.AsSpan(middle + 1, last - middle - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int parsedLine)
            || !int.TryParse(origin.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int parsedColumn)
            || parsedLine < 1 || parsedColumn < 1)
        {
            return false;
        }

        fileName = origin[..middle];
        line = parsedLine;
        column = parsedColumn;
        return true;
    }
}
