using Tomlyn.Syntax;

namespace Windsock.Server.Configuration;

/// <summary>
/// Flattens Tomlyn's lossless syntax tree into <see cref="TomlEntry"/> paths. We read the syntax
/// tree rather than Tomlyn's object model because only the tree keeps the positions our errors
/// need; Tomlyn has already validated TOML semantics (duplicate keys, redefined tables) by then.
/// </summary>
internal static class TomlDocumentReader
{
    /// <returns>
    /// The table headers, the entries of every table but the <c>[[rule]]</c> array, and the
    /// <c>[[rule]]</c> tables in file order, whose keys are read per rule.
    /// </returns>
    public static (List<TomlTableHeader> Tables, List<TomlEntry> Entries, List<TableArraySyntax> Rules) Read(DocumentSyntax document) =>
        Read(document, []);

    /// <summary>As <see cref="Read(DocumentSyntax)"/>, with the <c>[[route]]</c> tables collected into <paramref name="routes"/> (read per route, like rules).</summary>
    public static (List<TomlTableHeader> Tables, List<TomlEntry> Entries, List<TableArraySyntax> Rules) Read(DocumentSyntax document, List<TableArraySyntax> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var tables = new List<TomlTableHeader>();
        var entries = new List<TomlEntry>();
        var rules = new List<TableArraySyntax>();
        foreach (KeyValueSyntax keyValue in document.KeyValues)
        {
            AddEntry(entries, [], keyValue);
        }

        foreach (TableSyntaxBase table in document.Tables)
        {
            List<string> prefix = table.Name is null ? [] : KeyPath(table.Name);
            tables.Add(new TomlTableHeader(prefix, table, table is TableArraySyntax));
            if (table is TableArraySyntax array && prefix is [ConfigSchema.Rule])
            {
                rules.Add(array);
                continue;
            }

            if (table is TableArraySyntax route && prefix is [ConfigSchema.Route])
            {
                routes.Add(route);
                continue;
            }

            foreach (KeyValueSyntax keyValue in table.Items)
            {
                AddEntry(entries, prefix, keyValue);
            }
        }

        return (tables, entries, rules);
    }

    private static void AddEntry(List<TomlEntry> entries, List<string> prefix, KeyValueSyntax keyValue)
    {
        if (keyValue.Key is null || keyValue.Value is null)
        {
            // Only possible in a tree with syntax errors, which the loader rejects before reading.
            return;
        }

        List<string> path = [.. prefix, .. KeyPath(keyValue.Key)];
        if (keyValue.Value is InlineTableSyntax inline)
        {
            foreach (InlineTableItemSyntax item in inline.Items)
            {
                if (item.KeyValue is not null)
                {
                    AddEntry(entries, path, item.KeyValue);
                }
            }

            return;
        }

        entries.Add(new TomlEntry(path, keyValue, keyValue.Value));
    }

    public static List<string> KeyPath(KeySyntax key)
    {
        var path = new List<string>();
        if (key.Key is not null)
        {
            path.Add(KeyName(key.Key));
        }

        foreach (DottedKeyItemSyntax dotted in key.DotKeys)
        {
            if (dotted.Key is not null)
            {
                path.Add(KeyName(dotted.Key));
            }
        }

        return path;
    }

    private static string KeyName(BareKeyOrStringValueSyntax key) => key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? "",
        StringValueSyntax quoted => quoted.Value ?? "",
        _ => key.ToString() ?? "",
    };
}
