using CsCheck;
using Xunit;

namespace Windsock.Policy.Tests;

public class PortSetTests
{
    [Theory]
    [InlineData("80", "{80}")]
    [InlineData("80,443,8000-8080,https", "{80,443,8000-8080}")]
    [InlineData(" 22 , ssh ", "{22}")]
    [InlineData("1024-65535", "{1024-65535}")]
    [InlineData("0-65535", "{0-65535}")]
    [InlineData("10-20,21,15-30", "{10-30}")]
    [InlineData("smtp,submission,domain,ftp,ftp-data,pop3,imap,imaps,pop3s,ntp,telnet,http", "{20-21,23,25,53,80,110,123,143,587,993,995}")]
    public void Parses_and_merges(string text, string expected)
    {
        Assert.True(PortSet.TryParse(text, out var set, out string? error), error);
        Assert.Equal(expected, set.ToString());
    }

    [Theory]
    [InlineData("", "empty port item")]
    [InlineData("80,,443", "empty port item")]
    [InlineData("65536", "0 to 65535")]
    [InlineData("-1", "not a port")]
    [InlineData("+80", "not a port")]
    [InlineData("080x", "0 to 65535")]
    [InlineData("443-80", "runs backwards; write \"80-443\"")]
    [InlineData("1024-", "0 to 65535")]
    [InlineData("htp", "known service name")]
    [InlineData("HTTP", "known service name")]
    public void Rejects_with_a_reason(string text, string expectedInError)
    {
        Assert.False(PortSet.TryParse(text, out var set, out string? error));
        Assert.Null(set);
        Assert.Contains(expectedInError, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_which_array_item_is_wrong()
    {
        Assert.False(PortSet.TryParse(["80", "443", "nope"], out _, out int index, out _));
        Assert.Equal(2, index);
    }

    [Fact]
    public void Service_table_has_the_common_ports()
    {
        foreach (var (name, port) in new (string, ushort)[] { ("http", 80), ("https", 443), ("ssh", 22), ("telnet", 23), ("smtp", 25), ("submission", 587), ("domain", 53), ("ftp", 21), ("ftp-data", 20), ("pop3", 110), ("imap", 143), ("imaps", 993), ("pop3s", 995), ("ntp", 123) })
        {
            Assert.True(ServiceNames.TryGetPort(name, out ushort actual), name);
            Assert.Equal(port, actual);
        }
    }

    [Fact]
    public void A_set_parsed_from_a_generated_list_contains_exactly_those_ports()
    {
        var item = Gen.OneOf(
            Gen.UShort.Select(p => ((int)p, (int)p)),
            Gen.Select(Gen.UShort, Gen.Int[0, 300]).Select((low, length) => ((int)low, Math.Min(65535, low + length))));
        Gen.Select(item.Array[1, 8], Gen.UShort.Array[50])
            .Sample((ranges, probes) =>
            {
                string text = string.Join(",", ranges.Select(r => r.Item1 == r.Item2 ? $"{r.Item1}" : $"{r.Item1}-{r.Item2}"));
                Assert.True(PortSet.TryParse(text, out var set, out string? error), error);
                bool Expected(int port) => ranges.Any(r => port >= r.Item1 && port <= r.Item2);
                foreach (var (low, high) in ranges)
                {
                    foreach (int port in new[] { low, high, low - 1, high + 1 })
                    {
                        if (port is >= 0 and <= 65535)
                        {
                            Assert.Equal(Expected(port), set.Contains((ushort)port));
                        }
                    }
                }

                foreach (ushort port in probes)
                {
                    Assert.Equal(Expected(port), set.Contains(port));
                }

                // The merged form parses back to the same set.
                Assert.True(PortSet.TryParse(set.ToString()[1..^1], out var again, out _));
                Assert.Equal(set.ToString(), again.ToString());
            }, iter: 2_000);
    }
}
