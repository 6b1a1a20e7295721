using Tomlyn.Parsing;
using Tomlyn.Syntax;
using Tomlyn;

namespace Windsock.Server.Configuration;

/// <summary>
/// Reads the TOML configuration file into <see cref="ServerOptions"/>. Every problem is a
/// <see cref="ConfigException"/> at the line and column of the offending key or value; when a file
/// has several, the first one in the file is reported so the administrator fixes them top down.
/// Keys that are absent keep the <see cref="ServerOptions"/> defaults.
/// </summary>
public static class ConfigLoader
{
    // Far beyond any real configuration; stops a mistaken path such as /dev/zero from eating memory.
    private const int MaxFileBytes = 1024 * 1024;

    private const string TomlSyntaxFix = "correct the TOML syntax at this position (see https://toml.io)";

    public static ServerOptions Load(string path)
    {
        string text = AdminFileReader.ReadText(path, "configuration file", MaxFileBytes);
        return Parse(text, path);
    }

    /// <param name="text">The file's content.</param>
    /// <param name="fileName">
    /// Used in messages and origins as given, and to resolve a relative <c>auth.users_file</c>
    /// against the file's folder (so the result does not depend on the server's working directory).
    /// </param>
    public static ServerOptions Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);

        ThrowIfNotUnicode(text, fileName);
        DocumentSyntax document;
        try
        {
            // Tomlyn 2.10.2 crashes formatting the error for a backslash right before the end of
            // the text (char32.ToString of end-of-file); a final newline means the same TOML and
            // keeps every position, and avoids it.
            document = SyntaxParser.Parse(text.EndsWith('\n') ? text : text + "\n", fileName, validate: true);
        }
        catch (TomlException e)
        {
            // Tomlyn throws rather than reports for a few limits, such as nesting deeper than 64.
            throw new ConfigException(fileName, Math.Max(1, e.Line ?? 1), Math.Max(1, e.Column ?? 1), $"invalid TOML: {e.Message.TrimEnd('.')}", TomlSyntaxFix, e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // The same family of Tomlyn bug in a form we have not met: still a located refusal,
            // never a crash. Such errors have all been at the end of the text.
            int lastLine = text.Count(c => c == '\n') + 1;
            throw new ConfigException(fileName, lastLine, 1, "invalid TOML near the end of the file (the parser failed without a position)", TomlSyntaxFix, e);
        }

        foreach (DiagnosticMessage diagnostic in document.Diagnostics)
        {
            if (diagnostic.Kind == DiagnosticMessageKind.Error)
            {
                // Tomlyn shows a line break as U+2424, which many terminals cannot draw.
                string message = diagnostic.Message.Replace("\u2424", "end of line", StringComparison.Ordinal).TrimEnd('.');
                bool duplicate = message.Contains("already defined", StringComparison.Ordinal);
                throw new ConfigException(
                    fileName,
                    diagnostic.Span.Start.Line + 1,
                    diagnostic.Span.Start.Column + 1,
                    duplicate ? message : $"invalid TOML: {message}",
                    duplicate ? "remove one of the two definitions, or merge them" : TomlSyntaxFix);
            }
        }

        var reader = new ConfigReader(fileName);
        var routes = new List<TableArraySyntax>();
        (List<TomlTableHeader> tables, List<TomlEntry> entries, List<TableArraySyntax> rules) = TomlDocumentReader.Read(document, routes);
        foreach (TomlTableHeader table in tables)
        {
            reader.CheckTable(table);
        }

        ServerOptions options = ServerOptions.Default;
        foreach (TomlEntry entry in entries)
        {
            options = reader.Apply(options, entry);
        }

        foreach (TableArraySyntax route in routes)
        {
            reader.ReadRoute(route);
        }

        foreach (TableArraySyntax rule in rules)
        {
            reader.ReadRule(rule);
        }

        options = reader.FinishRoutes(options);
        options = reader.Finish(options);
        options = reader.FinishGssapi(options);
        options = reader.FinishAdmin(options);
        options = reader.FinishRunAs(options);
        reader.ThrowFirstProblem();
        return options with { Origins = reader.Origins };
    }

    /// <summary>
    /// Text read from a file is already valid (the reader decodes strict UTF-8), but a caller may
    /// pass any string, and Tomlyn throws on unpaired surrogates instead of reporting them.
    /// </summary>
    private static void ThrowIfNotUnicode(string text, string fileName)
    {
        int line = 1;
        int column = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new ConfigException(fileName, line, column, "the text contains an unpaired UTF-16 surrogate", "save the file as valid UTF-8");
            }
            else if (c == '\n')
            {
                line++;
                column = 0;
            }

            column++;
        }
    }
}
