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
    [InlineData("x; rm -rf /", "x__rm_-rf__")]
    [InlineData("$(reboot)", "__reboot_")]
    [InlineData("`id`", "_id_")]
    [InlineData("a\nb", "a_b")]
    [InlineData("\"quoted\" 'x'", "_quoted___x_")]
    [InlineData("ünïcode", "_n_code")]
    [InlineData("ok-user_1@realm.example:8080", "ok-user_1@realm.example:8080")]
    [InlineData("host/proxy.example.org@EXAMPLE.ORG", "host_proxy.example.org@EXAMPLE.ORG")]
    public void Substituted_values_lose_every_character_outside_the_safe_set(string hostile, string expected)
    {
        var values = Values with { SocksUser = hostile };
        Assert.Equal(expected, HookExpansion.Expand("%u", values, 1));
    }

    [Theory]
    [InlineData("-f/etc/shadow", "_-f_etc_shadow")]
    [InlineData("--output=/tmp/x", "_--output=_tmp_x")]
    [InlineData("-", "_-")]
    [InlineData("+F", "_+F")]
    [InlineData("=ls", "_=ls")]
    [InlineData("@/etc/shadow", "_@_etc_shadow")]
    [InlineData("../../../etc/passwd", "_.._.._.._etc_passwd")]
    [InlineData("..", "_..")]
    [InlineData(".", "_.")]
    [InlineData(".hidden", "_.hidden")]
    [InlineData("/etc/passwd", "_etc_passwd")]
    [InlineData("!x", "_!x")]
    [InlineData("%u", "_%u")]
    [InlineData(",x", "_,x")]
    [InlineData("_x", "_x")]
    [InlineData(" -x", "_-x")] // a space becomes '_' first, so the value already leads with '_'
    [InlineData("alice-admin", "alice-admin")]
    [InlineData("a..b", "a..b")]
    public void A_substituted_value_cannot_become_an_option_or_a_path(string hostile, string expected)
    {
        // Every code a client can steer: its user id, the ident answer, the name it asked for, the service.
        (string Code, HookValues Values)[] cases =
        [
            ("%u", Values with { SocksUser = hostile }),
            ("%U", Values with { IdentUser = hostile }),
            ("%Z", Values with { DestinationName = hostile }),
            ("%A", Values with { ClientName = hostile }),
            ("%S", Values with { Service = hostile }),
        ];
        foreach (var (code, values) in cases)
        {
            Assert.Equal(expected, HookExpansion.Expand(code, values, 1));
        }

        // In the middle of the administrator's text the value is guarded the same way.
        Assert.Equal($"/var/log/windsock/{expected}.log", HookExpansion.Expand("/var/log/windsock/%u.log", Values with { SocksUser = hostile }, 1));
    }

    [Theory]
    [InlineData("::1", "::1")]
    [InlineData("2001:db8::7", "2001:db8::7")]
    [InlineData("fe80::1%eth0", "fe80::1%eth0")]
    public void Addresses_keep_their_form(string address, string expected) =>
        Assert.Equal(expected, HookExpansion.Expand("%z", Values with { DestinationAddress = address }, 1));

    [Fact]
    public void Missing_values_expand_to_nothing_and_names_fall_back_to_addresses()
    {
        var sparse = new HookValues(null, "10.0.0.1", null, null, "80", null, null, null, "192.0.2.1");
        Assert.Equal("[10.0.0.1] [] [80] [] [192.0.2.1]", HookExpansion.Expand("[%A] [%U] [%S] [%u] [%Z]", sparse, 1));
    }
}
