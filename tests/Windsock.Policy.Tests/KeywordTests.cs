using Windsock.Protocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Xunit;

namespace Windsock.Policy.Tests;

public class KeywordTests
{
    [Theory]
    [InlineData("connect", PolicyCommand.Connect)]
    [InlineData("bind", PolicyCommand.Bind)]
    [InlineData("udp", PolicyCommand.UdpAssociate)]
    [InlineData("resolve", PolicyCommand.Resolve)]
    [InlineData("resolve-ptr", PolicyCommand.ResolvePtr)]
    [InlineData("ping", PolicyCommand.Ping)]
    [InlineData("traceroute", PolicyCommand.Traceroute)]
    public void Command_names_round_trip(string name, PolicyCommand command)
    {
        Assert.True(PolicyCommands.TryParse(name, out var parsed, out _));
        Assert.Equal(command, parsed);
        Assert.Equal(name, command.Name());
    }

    [Fact]
    public void Every_wire_command_has_a_policy_command()
    {
        foreach (var command in Enum.GetValues<Socks5Command>())
        {
            Assert.NotNull(PolicyCommands.FromSocks5(command));
        }

        Assert.Equal(PolicyCommand.Bind, PolicyCommands.FromSocks4(Socks4Command.Bind));
        Assert.Null(PolicyCommands.FromSocks5((Socks5Command)0x42));
    }

    [Theory]
    [InlineData("drop", true, 2)]
    [InlineData("general-failure", false, 1)]
    [InlineData("not-allowed", false, 2)]
    [InlineData("network-unreachable", false, 3)]
    [InlineData("host-unreachable", false, 4)]
    [InlineData("connection-refused", false, 5)]
    [InlineData("ttl-expired", false, 6)]
    [InlineData("command-not-supported", false, 7)]
    [InlineData("address-type-not-supported", false, 8)]
    [InlineData("5", false, 5)]
    public void Replies(string text, bool drop, int code)
    {
        Assert.True(DenyReply.TryParse(text, out var reply, out string? error), error);
        Assert.Equal(drop, reply.IsDrop);
        if (!drop)
        {
            Assert.Equal((Socks5ReplyCode)code, reply.Socks5Code);
            Assert.Equal(text.Length == 1 ? reply.Name : text, reply.Name);
        }

        Assert.Equal(Socks4ReplyCode.RejectedOrFailed, reply.Socks4Code);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("9")]
    [InlineData("91")]
    [InlineData("succeeded")]
    [InlineData("Drop")]
    public void Rejects_replies_that_are_not_denials(string text)
    {
        Assert.False(DenyReply.TryParse(text, out _, out string? error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Reply_codes_from_toml_integers()
    {
        Assert.True(DenyReply.TryFromCode(4, out var reply, out _));
        Assert.Equal(Socks5ReplyCode.HostUnreachable, reply.Socks5Code);
        Assert.False(DenyReply.TryFromCode(91, out _, out string? error));
        Assert.Contains("SOCKS4 clients always get 91", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Small_keyword_sets()
    {
        Assert.True(RuleActions.TryParse("allow", out var action, out _));
        Assert.Equal(RuleAction.Allow, action);
        Assert.False(RuleActions.TryParse("permit", out _, out _));

        Assert.True(RuleLogLevels.TryParse("warning", out var level, out _));
        Assert.Equal(RuleLogLevel.Warning, level);
        Assert.False(RuleLogLevels.TryParse("warn", out _, out _));

        Assert.True(IdentModes.TryParse("require", out var ident, out _));
        Assert.Equal(IdentMode.Require, ident);
        Assert.False(IdentModes.TryParse("on", out _, out _));

        Assert.True(AuthMethodSet.TryParse(["none", "username"], out var methods, out _, out _));
        Assert.True(methods.Contains(AuthMethod.UsernamePassword));
        Assert.False(methods.Contains(AuthMethod.Gssapi));
        Assert.False(AuthMethodSet.TryParse(["none", "password"], out _, out int bad, out _));
        Assert.Equal(1, bad);
        Assert.False(AuthMethodSet.TryParse([], out _, out _, out string? empty));
        Assert.Contains("empty", empty, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4", SocksVersion.Socks4, false, true)]
    [InlineData("4", SocksVersion.Socks4, true, true)]
    [InlineData("4a", SocksVersion.Socks4, true, true)]
    [InlineData("4a", SocksVersion.Socks4, false, false)]
    [InlineData("4a", SocksVersion.Socks5, true, false)]
    [InlineData("5", SocksVersion.Socks5, true, true)]
    [InlineData("5", SocksVersion.Socks4, false, false)]
    public void Versions(string text, SocksVersion version, bool name, bool expected)
    {
        Assert.True(VersionSet.TryParse([text], out var set, out _, out _));
        Assert.Equal(expected, set.Matches(version, name));
    }

    [Fact]
    public void Destination_lists_split_into_networks_and_patterns()
    {
        Assert.True(DestinationSet.TryParse(["10.0.0.0/8", "*.example.com", "192.0.2.7", "::1", ".corp.example"], out var set, out _, out string? error), error);
        Assert.Equal(3, set.Networks.Networks.Count);
        Assert.Equal(2, set.Hosts.Count);
        Assert.False(DestinationSet.TryParse(["example.com", "10.1.2.3/8"], out _, out int index, out error));
        Assert.Equal(1, index);
        Assert.Contains("10.0.0.0/8", error, StringComparison.Ordinal);
    }
}
