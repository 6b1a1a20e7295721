using System.Diagnostics.CodeAnalysis;

namespace Windsock.Policy;

/// <summary>The shared parsing of "a list of keywords" sets (commands, methods, versions).</summary>
internal static class EnumSet
{
    public delegate bool ItemParser<T>(string text, out T value, out string? error);

    public static bool TryParse<T>(IEnumerable<string> items, ItemParser<T> parse, string what, [NotNullWhen(true)] out List<T>? values, out int errorIndex, out string? error)
    {
        values = [];
        errorIndex = -1;
        error = null;
        int index = 0;
        foreach (string item in items)
        {
            if (!parse(item, out T value, out error))
            {
                errorIndex = index;
                values = null;
                return false;
            }

            values.Add(value);
            index++;
        }

        if (values.Count == 0)
        {
            error = $"an empty {what} list matches nothing; leave the key out to match every {what}";
            values = null;
            return false;
        }

        return true;
    }
}
