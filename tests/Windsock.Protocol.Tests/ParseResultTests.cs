using Xunit;

namespace Windsock.Protocol.Tests;

public class ParseResultTests
{
    [Fact]
    public void NeedMore_is_neither_done_nor_error()
    {
        var result = ParseResult.NeedMore;
        Assert.Equal(ParseStatus.NeedMore, result.Status);
        Assert.False(result.IsDone);
        Assert.False(result.IsError);
        Assert.Equal(0, result.Consumed);
        Assert.Equal(ProtocolError.None, result.Error);
        Assert.Equal(default, result);
    }

    [Fact]
    public void Done_carries_the_consumed_count()
    {
        var result = ParseResult.Done(7);
        Assert.Equal(ParseStatus.Done, result.Status);
        Assert.True(result.IsDone);
        Assert.False(result.IsError);
        Assert.Equal(7, result.Consumed);
        Assert.Equal(ProtocolError.None, result.Error);
        Assert.NotEqual(ParseResult.Done(8), result);
    }

    [Fact]
    public void Fail_carries_the_error()
    {
        var result = ParseResult.Fail(ProtocolError.UnsupportedVersion);
        Assert.Equal(ParseStatus.Error, result.Status);
        Assert.True(result.IsError);
        Assert.False(result.IsDone);
        Assert.Equal(0, result.Consumed);
        Assert.Equal(ProtocolError.UnsupportedVersion, result.Error);
        Assert.NotEqual(ParseResult.Fail(ProtocolError.UnsupportedCommand), result);
    }
}
