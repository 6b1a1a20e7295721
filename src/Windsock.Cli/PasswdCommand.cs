using System.CommandLine;
using System.Text;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;

namespace Windsock.Cli;

/// <summary>
/// <c>windsock passwd FILE USER [--delete] [--password-stdin]</c>: add a user, change a password
/// or remove a user in a users file. The work is in <see cref="UserFile"/>; this only gets the
/// password from the person or the pipe and reports in one line.
/// </summary>
/// <remarks>
/// Exit codes: 0 done; 1 the operation failed (file unreadable or malformed, write failed, user
/// not found); 2 the input was unusable (bad user name or password, mismatch, nothing on stdin).
/// </remarks>
internal static class PasswdCommand
{
    private const int Failed = 1;
    private const int BadInput = 2;

    public static Command Create()
    {
        var file = new Argument<string>("FILE")
        {
            Description = "The users file. Created if missing: root:windsock mode 0640 when root creates it and the windsock group exists (the service reads it through that group), else mode 0600. An edit keeps its owner, group and mode.",
        };
        var user = new Argument<string>("USER") { Description = "The user name (case-sensitive, 1-255 bytes, no ':')." };
        var delete = new Option<bool>("--delete") { Description = "Remove USER instead of setting a password." };
        var passwordStdin = new Option<bool>("--password-stdin")
        {
            Description = "Read the password from the first line of standard input instead of prompting (implied when input is redirected).",
        };

        var command = new Command("passwd", "Add a user, change a user's password, or remove a user in a users file.")
        {
            file,
            user,
            delete,
            passwordStdin,
        };

        command.SetAction(result => Run(
            result.GetRequiredValue(file),
            result.GetRequiredValue(user),
            result.GetValue(delete),
            result.GetValue(passwordStdin),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(string path, string userName, bool delete, bool passwordStdin, TextWriter output, TextWriter error)
    {
        if (delete && passwordStdin)
        {
            return Fail(error, BadInput, "--delete takes no password; leave out --password-stdin");
        }

        string? nameProblem = CredentialRules.CheckUserName(userName);
        if (nameProblem is not null)
        {
            // Checked before asking for a password, so nobody types one twice for nothing.
            return Fail(error, BadInput, nameProblem);
        }

        try
        {
            if (delete)
            {
                if (!UserFile.Remove(path, userName))
                {
                    return Fail(error, Failed, $"no user \"{userName}\" in {path}");
                }

                output.WriteLine($"removed user {userName}");
                return 0;
            }

            string? password = passwordStdin || Console.IsInputRedirected
                ? ReadPasswordLine(error)
                : PromptTwice(userName, error);
            if (password is null)
            {
                return BadInput;
            }

            string? passwordProblem = CredentialRules.CheckPassword(password);
            if (passwordProblem is not null)
            {
                return Fail(error, BadInput, passwordProblem);
            }

            bool created = !File.Exists(path);
            UserFileChange change = UserFile.SetPassword(path, userName, password);
            if (created)
            {
                output.WriteLine(Created(path));
            }

            output.WriteLine(change == UserFileChange.Added ? $"added user {userName}" : $"changed password for {userName}");
            return 0;
        }
        catch (ConfigException e)
        {
            // Already one line with file, line and fix.
            error.WriteLine(e.ToString());
            return Failed;
        }
        catch (ArgumentException e)
        {
            return Fail(error, BadInput, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(error, Failed, $"cannot write {path}: {e.Message}");
        }
    }

    /// <summary>Who may read the new file, so nobody has to guess why the service can (or cannot) read it.</summary>
    private static string Created(string path)
    {
        if (OperatingSystem.IsWindows() || Windsock.Server.Accounts.FileOwnership.Get(path) is not { } owner)
        {
            return $"created {path}";
        }

        string mode = Convert.ToString((int)File.GetUnixFileMode(path) & 0x1FF, 8).PadLeft(4, '0');
        return $"created {path} ({Windsock.Server.Accounts.UnixAccounts.UserName(owner.UserId)}:{Windsock.Server.Accounts.UnixAccounts.GroupName(owner.GroupId)}, mode {mode})";
    }

    private static string? ReadPasswordLine(TextWriter error)
    {
        string? line = Console.In.ReadLine();
        if (line is null)
        {
            Fail(error, BadInput, "no password on standard input");
            return null;
        }

        return line.TrimEnd('\r');
    }

    private static string? PromptTwice(string userName, TextWriter error)
    {
        // Prompts go to stderr so stdout carries only the result line.
        string first = ReadHidden($"New password for {userName}: ");
        string second = ReadHidden("Retype the password: ");
        if (first != second)
        {
            Fail(error, BadInput, "the passwords do not match; nothing was changed");
            return null;
        }

        return first;
    }

    private static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var password = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (password.Length > 0)
                {
                    password.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return password.ToString();
    }

    private static int Fail(TextWriter error, int exitCode, string message)
    {
        error.WriteLine($"windsock passwd: error: {message}");
        return exitCode;
    }
}
