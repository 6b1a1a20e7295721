using System.Text.RegularExpressions;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>The section schemas are the one list of keys: the loader, the documentation and the origins follow them.</summary>
public partial class ConfigSchemaTests
{
    [Fact]
    public void Every_key_of_every_section_has_exactly_one_reader()
    {
        foreach (var section in ConfigSchema.SectionSchemas)
        {
            Assert.Equal(section.Keys.Count, section.Keys.Select(k => k.Name).Distinct(StringComparer.Ordinal).Count());
            foreach (var key in section.Keys)
            {
                Assert.Same(key, ConfigSchema.Key(section.Name, key.Name));
            }
        }
    }

    [Fact]
    public void Every_section_and_key_is_in_docs_configuration_md()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "configuration.md"));
        var headers = SectionHeader().Matches(doc).Select(m => m.Groups["section"].Value).ToHashSet(StringComparer.Ordinal);
        foreach (var section in ConfigSchema.SectionSchemas)
        {
            Assert.Contains(section.Name, headers);
            foreach (var key in section.Keys)
            {
                Assert.Contains($"`{key.Name}`", doc, StringComparison.Ordinal);
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Windsock.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"Windsock.slnx above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"^##+ `\[(?<section>[a-z]+)\]`", RegexOptions.Multiline)]
    private static partial Regex SectionHeader();
}
