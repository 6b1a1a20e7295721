using System.Globalization;
using Windsock.Server.Logging;
using Xunit;

namespace Windsock.Server.Tests.Logging;

/// <summary>The request log's hand-written time stamp against the custom format it replaced, over the whole calendar.</summary>
public sealed class LogTimestampTests
{
    private const string Replaced = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    [Theory]
    [InlineData("0001-01-01T00:00:00.0000000Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    [InlineData("2026-12-03T17:08:02.0450000Z")]
    [InlineData("2024-02-29T09:05:07.1004999Z")]
    public void Writes_what_the_custom_format_wrote(string round)
    {
        var time = DateTime.Parse(round, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

        Assert.Equal(time.ToString(Replaced, CultureInfo.InvariantCulture), LogTimestamp.Format(time));
    }

    [Fact]
    public void Agrees_with_the_custom_format_over_many_random_instants()
    {
        var random = new Random(20261203);
        Span<char> written = stackalloc char[LogTimestamp.Length];
        for (int i = 0; i < 10_000; i++)
        {
            var time = new DateTime(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc);
            LogTimestamp.Write(time, written);
            Assert.Equal(time.ToString(Replaced, CultureInfo.InvariantCulture), written.ToString());
        }
    }
}
