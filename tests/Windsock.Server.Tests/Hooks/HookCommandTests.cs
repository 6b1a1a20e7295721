using Windsock.Server.Hooks;
using Xunit;

namespace Windsock.Server.Tests.Hooks;

public class HookCommandTests
{
    [Theory]
    [InlineData("/usr/bin/logger -t windsock denied %u", new[] { "/usr/bin/logger", "-t", "windsock", "denied", "%u" })]
    [InlineData("/usr/bin/mail -s 'denied %u to %Z' root", new[] { "/usr/bin/mail", "-s", "denied %u to %Z", "root" })]
    [InlineData("/bin/sh -c \"echo %a >> /tmp/x\"", new[] { "/bin/sh", "-c", "echo %a >> /tmp/x" })]
    [InlineData("/bin/echo a\\ b 'it''s' \"q\\\"uote\"", new[] { "/bin/echo", "a b", "its", "q\"uote" })]
    [InlineData("  /bin/true   ", new[] { "/bin/true" })]
    [InlineData("/bin/echo ''", new[] { "/bin/echo", "" })]
    public void Splits_like_a_simple_shell_without_running_one(string text, string[] expected)
    {
        Assert.True(HookCommand.TryParse(text, out var command, out var error), error);
        Assert.Equal(expected, command!.Arguments);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/bin/echo 'open", "unclosed")]
    [InlineData("mail root", "absolute path")]
    [InlineData("/bin/echo a\nb", "control character")]
    public void Rejects_what_cannot_run_as_meant(string text, string expected)
    {
        Assert.False(HookCommand.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
