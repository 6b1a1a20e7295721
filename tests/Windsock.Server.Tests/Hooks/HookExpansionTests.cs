using Windsock.Server.Hooks;
using Xunit;

namespace Windsock.Server.Tests.Hooks;

public class HookExpansionTests
{
    private static readonly HookValues Values = new(
        ClientName: null, ClientAddress: "10.1.2.3", Command: "connect", Service: "telnet", Port: "23",
        IdentUser: "alice", SocksUser: "bob", DestinationName: "host.example.org", DestinationAddress: "192.0.2.9");

    [Theory]
    [InlineData("%A", "10.1.2.3")]
    [InlineData("%a", "10.1.2.3")]
    [InlineData("%c", "connect")]
    [InlineData("%p", "4242")]
    [InlineData("%S", "telnet")]
    [InlineData("%s", "23")]
    [InlineData("%U", "alice")]
    [InlineData("%u", "bob")]
    [InlineData("%Z", "host.example.org")]
    [InlineData("%z", "192.0.2.9")]
    [InlineData("100%%", "100%")]
    [InlineData("%q", "")]
    [InlineData("trailing %", "trailing %")]
    [InlineData("%u pretends on %A:%s", "bob pretends on 10.1.2.3:23")]
    public void Expands_the_classic_codes(string template, string expected) =>
        Assert.Equal(expected, HookExpansion.Expand(template, Values, 4242));

    [Theory]
    [InlineData("x; rm -rf /", "x__rm_-rf_/")]
    [InlineData("$(reboot)", "__reboot_")]
    [InlineData("`id`", "_id_")]
    [InlineData("a\nb", "a_b")]
    [InlineData("\"quoted\" 'x'", "_quoted___x_")]
    [InlineData("ünïcode", "_n_code")]
    [InlineData("ok-user_1@realm.example:8080/x", "ok-user_1@realm.example:8080/x")]
    public void Substituted_values_lose_every_character_outside_the_safe_set(string hostile, string expected)
    {
        var values = Values with { SocksUser = hostile };
        Assert.Equal(expected, HookExpansion.Expand("%u", values, 1));
    }

    [Fact]
    public void Missing_values_expand_to_nothing_and_names_fall_back_to_addresses()
    {
        var sparse = new HookValues(null, "10.0.0.1", null, null, "80", null, null, null, "192.0.2.1");
        Assert.Equal("[10.0.0.1] [] [80] [] [192.0.2.1]", HookExpansion.Expand("[%A] [%U] [%S] [%u] [%Z]", sparse, 1));
    }
}
