using System.Text;

namespace Windsock.Server.Hooks;

/// <summary>
/// A hook command as the administrator wrote it, split into a program and its arguments once, at
/// configuration time. Splitting follows the shell's simple quoting ('single', "double", backslash
/// outside single quotes) but no shell ever runs unless the administrator names one
/// (<c>/bin/sh -c '...'</c>): substituted values then land inside one argument each and cannot start
/// a new command.
/// </summary>
public sealed class HookCommand
{
    private HookCommand(string text, IReadOnlyList<string> arguments)
    {
        Text = text;
        Arguments = arguments;
    }

    /// <summary>The command as written, for logs and explanations.</summary>
    public string Text { get; }

    /// <summary>Program first, then its arguments, still holding their %-codes.</summary>
    public IReadOnlyList<string> Arguments { get; }

    public static bool TryParse(string text, out HookCommand? command, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        command = null;
        var arguments = new List<string>();
        var current = new StringBuilder();
        bool inArgument = false;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote == '\'')
            {
                if (c == '\'')
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '\\' && i + 1 < text.Length && quote != '\'')
            {
                current.Append(text[++i]);
                inArgument = true;
            }
            else if (quote == '"')
            {
                if (c == '"')
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inArgument = true;
            }
            else if (c is ' ' or '\t')
            {
                if (inArgument)
                {
                    arguments.Add(current.ToString());
                    current.Clear();
                    inArgument = false;
                }
            }
            else if (char.IsControl(c))
            {
                error = "the command contains a control character";
                return false;
            }
            else
            {
                current.Append(c);
                inArgument = true;
            }
        }

        if (quote != '\0')
        {
            error = $"the command has an unclosed {quote} quote";
            return false;
        }

        if (inArgument)
        {
            arguments.Add(current.ToString());
        }

        if (arguments.Count == 0)
        {
            error = "the command is empty";
            return false;
        }

        if (!Path.IsPathFullyQualified(arguments[0]))
        {
            error = $"the program \"{arguments[0]}\" must be an absolute path (e.g. /usr/bin/logger): the server's PATH is not the administrator's";
            return false;
        }

        error = null;
        command = new HookCommand(text, arguments);
        return true;
    }

    public override string ToString() => Text;
}
