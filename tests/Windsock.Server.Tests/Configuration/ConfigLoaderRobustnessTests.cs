using CsCheck;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>Whatever the file holds, the only failure an administrator sees is a located ConfigException.</summary>
public sealed class ConfigLoaderRobustnessTests
{
    private static readonly string[] Fragments =
    [
        "[server]\n", "[auth]\n", "[[server]]\n", "listen = ", "allowed_clients = ", "idle_timeout = ", "users_file = ",
        "\"0.0.0.0:1080\"", "[\"::1/128\", ", "]", "{ ", " }", "=", "\"", "'", "\n", "1", "-1", "1.5", "true", "\"10s\"",
        "server.", "#", "\\", "\u0000", "\uFEFF", "\uD800", "[", "1979-05-27T07:32:00Z", "0x10", "\"\"\"",
    ];

    [Fact]
    public void Arbitrary_text_parses_or_fails_with_a_located_error()
    {
        Gen.OneOf(Gen.String, Gen.OneOf(Fragments).Array[0, 20].Select(parts => string.Concat(parts)))
            .Sample(text =>
            {
                try
                {
                    ConfigLoader.Parse(text, "f.toml");
                }
                catch (ConfigException e)
                {
                    Assert.Equal("f.toml", e.FileName);
                    Assert.True(e.Line >= 1);
                }
            }, iter: 3000);
    }

    [Theory]
    [InlineData("a = \"\"\"\\", 1)]
    [InlineData(".\"\"\"'x.\t.\\", 1)]
    [InlineData("[server]\nlog_format = \"\\", 2)]
    public void A_backslash_at_the_very_end_is_an_error_not_a_crash(string text, int line)
    {
        // Tomlyn 2.10.2 throws ArgumentOutOfRangeException for these without a final newline.
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(text, "f.toml"));

        Assert.Equal(line, error.Line);
    }

    [Fact]
    public void Unpaired_surrogates_are_located()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[server]\n# ab\uD800\n", "f.toml"));

        Assert.Equal((2, 5), (error.Line, error.Column));
    }

    [Fact]
    public void Deep_nesting_is_an_error_not_a_crash()
    {
        string text = "[server]\nlisten = " + new string('[', 100_000) + "\n";

        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(text, "f.toml"));
    }

    [Fact]
    public void Arbitrary_users_file_text_parses_or_fails_with_a_located_error()
    {
        Gen.String.Sample(text =>
        {
            try
            {
                UserFile.Parse(text, "users", new PasswordHasher(1));
            }
            catch (ConfigException e)
            {
                Assert.True(e.Line >= 1);
            }
        }, iter: 3000);
    }
}
