using Windsock.Protocol.Socks5;
using Windsock.Server.Sessions;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>The server's preference among the client's offer: GSSAPI, then username/password, then none only when no authentication is required.</summary>
public sealed class MethodChoiceTests
{
    [Theory]
    [InlineData("00 01 02", true, true, AuthMethod.Gssapi)]
    [InlineData("00 02", true, true, AuthMethod.UsernamePassword)]
    [InlineData("00", true, true, AuthMethod.NoAcceptableMethods)]
    [InlineData("00 01", true, false, AuthMethod.Gssapi)]
    [InlineData("00 02", true, false, AuthMethod.NoAcceptableMethods)]
    [InlineData("00 01 02", false, true, AuthMethod.UsernamePassword)]
    [InlineData("00 01", false, false, AuthMethod.None)]
    [InlineData("01", false, false, AuthMethod.NoAcceptableMethods)]
    public void Chooses_by_server_preference(string offered, bool gssapi, bool password, AuthMethod expected)
    {
        var methods = MethodSet.From(Convert.FromHexString(offered.Replace(" ", "", StringComparison.Ordinal)));

        Assert.Equal(expected, MethodChoice.Choose(methods, gssapi, password));
    }
}
