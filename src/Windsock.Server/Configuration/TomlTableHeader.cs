using Tomlyn.Syntax;

namespace Windsock.Server.Configuration;

/// <summary>A [table] or [[array of tables]] header, kept so an unknown section is reported even when it is empty.</summary>
internal sealed record TomlTableHeader(IReadOnlyList<string> Path, TableSyntaxBase Syntax, bool IsArrayOfTables);
