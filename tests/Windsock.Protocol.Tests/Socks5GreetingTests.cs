using Windsock.Protocol.Socks5;
using Xunit;

namespace Windsock.Protocol.Tests;

public class Socks5GreetingTests
{
    [Fact]
    public void Parses_rfc_layout()
    {
        var result = Socks5Greeting.TryParse([0x05, 0x02, 0x00, 0x02], out var greeting);
        Assert.Equal(ParseResult.Done(4), result);
        Assert.True(greeting.Methods.Contains(AuthMethod.None));
        Assert.True(greeting.Methods.Contains(AuthMethod.UsernamePassword));
        Assert.False(greeting.Methods.Contains(AuthMethod.Gssapi));
    }
}
