using System.Globalization;

namespace Windsock.Policy;

/// <summary>
/// Where a rule was written, so explanations and logs can point at it: "windsock.toml:14:1".
/// Lines and columns count from 1.
/// </summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    /// <summary>For rules built in code (tests, the embedded default) rather than read from a file.</summary>
    public static SourceLocation None { get; } = new(string.Empty, 0, 0);

    public bool IsKnown => File.Length > 0 && Line > 0;

    public override string ToString() => IsKnown
        ? string.Create(CultureInfo.InvariantCulture, $"{File}:{Line}:{Column}")
        : "built-in";
}
