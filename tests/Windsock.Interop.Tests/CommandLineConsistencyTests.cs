using System.CommandLine;
using Windsock.Cli;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>One meaning per short option across the verbs, and no verb option shadowing the program's own.</summary>
public sealed class CommandLineConsistencyTests
{
    private static IEnumerable<Command> Verbs()
    {
        Command[] top =
        [
            ServeCommand.Create(), PasswdCommand.Create(), CheckCommand.Create(), StatusCommand.Create(), ClientConnectCommand.Create(),
            ClientForwardCommand.Create(), ClientResolveCommand.Create(), ClientPingCommand.Create(), ClientTracerouteCommand.Create(),
            Windsock.Cli.Run.RunCommand.Create(), BenchCommand.Create(),
        ];
        var pending = new Stack<Command>(top);
        while (pending.Count > 0)
        {
            var command = pending.Pop();
            yield return command;
            foreach (var sub in command.Subcommands)
            {
                pending.Push(sub);
            }
        }
    }

    [Fact]
    public void Each_short_option_means_the_same_long_option_in_every_verb()
    {
        // An option's meaning is its set of long names: --explain with the alias --verbose means what --verbose does.
        var meanings = new Dictionary<string, List<HashSet<string>>>(StringComparer.Ordinal);
        foreach (var command in Verbs())
        {
            foreach (var option in command.Options)
            {
                foreach (var alias in option.Aliases.Where(a => a.Length == 2 && a[0] == '-' && a[1] != '-'))
                {
                    if (!meanings.TryGetValue(alias, out var names))
                    {
                        meanings[alias] = names = [];
                    }

                    names.Add([.. option.Aliases.Append(option.Name).Where(a => a.StartsWith("--", StringComparison.Ordinal))]);
                }
            }
        }

        var clashes = meanings
            .Where(m => m.Value.Any(a => m.Value.Any(b => !a.Overlaps(b))))
            .Select(m => $"{m.Key}: {string.Join(", ", m.Value.Select(names => string.Join("/", names.Order(StringComparer.Ordinal))).Distinct(StringComparer.Ordinal))}")
            .ToList();
        Assert.True(clashes.Count == 0, "short options with several meanings: " + string.Join("; ", clashes));
    }

    [Fact]
    public void Check_names_the_socks_version_socks_version()
    {
        var check = CheckCommand.Create();

        Assert.Contains(check.Options, o => o.Name == "--socks-version");
        // The old spelling is still accepted (with a warning) but hidden: --version is the program's own option.
        Assert.All(check.Options.Where(o => o.Name == "--version" || o.Aliases.Contains("--version")), o => Assert.True(o.Hidden, o.Name));
    }

    /// <summary>
    /// check takes no arguments and refuses unknown ones itself (exit 2): its help has no section for arguments
    /// handed on to some application, which System.CommandLine adds when a command lets unmatched tokens through.
    /// </summary>
    [Fact]
    public async Task Check_help_shows_its_options_and_no_section_for_arguments_passed_on()
    {
        var help = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--help"], timeout: TimeSpan.FromSeconds(60));

        Assert.True(help.ExitCode == 0, help.Describe());
        Assert.Contains("windsock check [options]", help.StdoutText, StringComparison.Ordinal);
        Assert.Contains("--socks-version", help.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("--version <", help.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("Arguments passed to the application", help.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("Additional Arguments", help.StdoutText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Arguments:", help.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_still_takes_the_old_version_spelling_with_a_warning_but_not_both_spellings()
    {
        using var dir = new TempDirectory();
        string config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\n", TestContext.Current.CancellationToken);
        string[] request = [Tools.WindsockDll, "check", "-c", config, "--from", "127.0.0.1", "--to", "127.0.0.1:80"];

        var old = await ProcessRunner.RunAsync(Tools.Dotnet, [.. request, "--version", "4"], timeout: TimeSpan.FromSeconds(60));
        var both = await ProcessRunner.RunAsync(Tools.Dotnet, [.. request, "--version", "4", "--socks-version", "5"], timeout: TimeSpan.FromSeconds(60));

        Assert.True(old.ExitCode == 0, old.Describe());
        Assert.True(old.StderrMentions("--version is deprecated here"), old.Describe());
        Assert.Contains("SOCKS4,", old.StdoutText, StringComparison.Ordinal);
        Assert.True(both.ExitCode == 2, both.Describe());
        Assert.True(both.StderrMentions("give the SOCKS version once"), both.Describe());
    }
}
