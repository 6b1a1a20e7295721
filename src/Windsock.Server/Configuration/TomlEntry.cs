using Tomlyn.Syntax;

namespace Windsock.Server.Configuration;

/// <summary>
/// One key = value pair with its full dotted path, however it was spelt in the file:
/// under a [table] header, as a dotted key (server.listen = ...) or inside an inline table.
/// The syntax nodes stay attached so every error can point at the exact line and column.
/// </summary>
internal sealed record TomlEntry(IReadOnlyList<string> Path, KeyValueSyntax KeyValue, ValueSyntax Value)
{
    public string DottedPath => string.Join('.', Path);
}
