using Windsock.Fuzz;
using Xunit;

namespace Windsock.Server.Tests.Fuzzing;

/// <summary>
/// Every input the fuzzers kept (tests/Windsock.Fuzz/corpus: seeds, the paths AFL++ found, and every
/// crash once fixed) through its target, as an ordinary test: what fuzzing found stays found, in CI,
/// without AFL++. A target's rule that breaks throws, and the test names the file.
/// </summary>
public class CorpusReplayTests
{
    public static TheoryData<string> Targets => [.. FuzzTargets.All.Keys.Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_kept_input_passes_its_target(string target)
    {
        var directory = Path.Combine(CorpusRoot(), target);
        var files = Directory.Exists(directory) ? Directory.GetFiles(directory) : [];
        Assert.True(files.Length > 0, $"no corpus for target {target} in {directory}: seed it (tests/Windsock.Fuzz/README.md)");

        var run = FuzzTargets.All[target];
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            try
            {
                run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                Assert.Fail($"{Path.GetFileName(file)} of {target}: {e}");
            }
        }
    }

    [Fact]
    public void Every_corpus_directory_belongs_to_a_target()
    {
        var unknown = Directory.GetDirectories(CorpusRoot()).Select(Path.GetFileName).Where(name => !FuzzTargets.All.ContainsKey(name!));
        Assert.Empty(unknown);
    }

    /// <summary>The corpus in the source tree (not a copy in bin/), so a file added there is replayed on the next run.</summary>
    private static string CorpusRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var corpus = Path.Combine(dir.FullName, "tests", "Windsock.Fuzz", "corpus");
            if (Directory.Exists(corpus))
            {
                return corpus;
            }
        }

        throw new DirectoryNotFoundException($"tests/Windsock.Fuzz/corpus above {AppContext.BaseDirectory}");
    }
}
