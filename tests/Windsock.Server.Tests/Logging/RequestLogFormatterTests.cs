using System.Net;
using System.Text.Json;
using Windsock.Protocol;
using Windsock.Server.Logging;
using Windsock.Server.Sessions;
using Xunit;

namespace Windsock.Server.Tests.Logging;

public class RequestLogFormatterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static SessionRecord Record(string? user = "alice")
    {
        var record = new SessionRecord(42, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 40000), new IPEndPoint(IPAddress.Loopback, 1080), Now)
        {
            Version = Windsock.Policy.PolicyVersion.Socks5,
            AuthMethod = Windsock.Protocol.Socks5.AuthMethod.UsernamePassword,
            User = user,
            Command = Windsock.Protocol.Socks5.Socks5Command.Connect,
            Destination = SocksEndpoint.FromHost("example.org", 443),
            Connected = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443),
            ReplyCode = 0,
            EndReason = "closed",
        };
        record.AddBytesUp(1234);
        record.AddBytesDown(56789);
        return record;
    }

    [Fact]
    public void Text_request_line_has_every_field()
    {
        var line = RequestLogFormatter.FormatText(RequestLogEvent.Request, Record(), Now);
        Assert.Equal(
            "2026-11-27T12:00:00.000Z request session=42 client=10.1.2.3:40000 listener=127.0.0.1:1080 version=5 auth=username user=alice ident=- command=connect dest=example.org:443 connected=[2001:db8::1]:443 reply=0 rule=-",
            line);
    }

    [Fact]
    public void The_back_end_that_checked_the_password_follows_the_auth_method()
    {
        SessionRecord record = Record();
        record.AuthBackend = "pam";

        string text = RequestLogFormatter.FormatText(RequestLogEvent.Request, record, Now);
        using JsonDocument json = JsonDocument.Parse(RequestLogFormatter.FormatJson(RequestLogEvent.Request, record, Now));

        Assert.Contains(" auth=username auth_by=pam user=alice ", text, StringComparison.Ordinal);
        Assert.Equal("pam", json.RootElement.GetProperty("auth_by").GetString());
    }

    [Fact]
    public void A_routed_connection_adds_route_chain_and_hops_after_the_rule_in_text_and_json()
    {
        SessionRecord record = Record();
        record.Rule = "rule 1";
        record.Outbound = new Windsock.Server.Outbound.OutboundPath { Route = "office", Chain = 2, Hops = "socks5h://alice@127.0.0.1:1081 -> socks5h://127.0.0.1:1082" };

        string text = RequestLogFormatter.FormatText(RequestLogEvent.End, record, Now);
        using JsonDocument json = JsonDocument.Parse(RequestLogFormatter.FormatJson(RequestLogEvent.End, record, Now));

        Assert.Contains(" reply=0 rule=\"rule 1\" route=office route_chain=2 route_hops=\"socks5h://alice@127.0.0.1:1081 -> socks5h://127.0.0.1:1082\" bytes_up=1234 ", text, StringComparison.Ordinal);
        Assert.Equal(("office", 2), (json.RootElement.GetProperty("route").GetString(), json.RootElement.GetProperty("route_chain").GetInt32()));
        Assert.DoesNotContain(" source=", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rules_source_address_follows_the_rule()
    {
        SessionRecord record = Record();
        record.Outbound = new Windsock.Server.Outbound.OutboundPath { Source = IPAddress.Parse("127.0.0.2") };

        string text = RequestLogFormatter.FormatText(RequestLogEvent.Request, record, Now);

        Assert.EndsWith(" reply=0 rule=- source=127.0.0.2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("route", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_end_line_adds_bytes_duration_and_reason()
    {
        var line = RequestLogFormatter.FormatText(RequestLogEvent.End, Record(), Now);
        Assert.Contains(" bytes_up=1234 bytes_down=56789 duration=", line, StringComparison.Ordinal);
        Assert.EndsWith(" reason=closed", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil user=root", "user=\"evil user=root\"")]
    [InlineData("a\"b", "user=\"a\\\"b\"")]
    [InlineData("line\nbreak", "user=\"line\\x0abreak\"")]
    [InlineData("", "user=\"\"")]
    public void Hostile_values_cannot_forge_fields_or_lines(string user, string expected)
    {
        var line = RequestLogFormatter.FormatText(RequestLogEvent.Request, Record(user), Now);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Json_lines_parse_and_carry_typed_values()
    {
        var line = RequestLogFormatter.FormatJson(RequestLogEvent.End, Record("a\"b\n"), Now);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("end", root.GetProperty("event").GetString());
        Assert.Equal(42, root.GetProperty("session").GetInt64());
        Assert.Equal("a\"b\n", root.GetProperty("user").GetString());
        Assert.Equal(1234, root.GetProperty("bytes_up").GetInt64());
        Assert.Equal("[2001:db8::1]:443", root.GetProperty("connected").GetString());
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Missing_values_are_dashes_in_text_and_null_in_json()
    {
        var record = new SessionRecord(1, new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), Now);
        Assert.Contains(" user=- ident=- command=- dest=- connected=- reply=-", RequestLogFormatter.FormatText(RequestLogEvent.Request, record, Now), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(RequestLogFormatter.FormatJson(RequestLogEvent.Request, record, Now));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("user").ValueKind);
    }

    [Fact]
    public void Bind_lines_name_the_announced_address_and_the_peer()
    {
        var record = Record();
        record.Command = Windsock.Protocol.Socks5.Socks5Command.Bind;
        record.Connected = null;
        record.BindAnnounced = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 40007);

        Assert.Contains(" command=bind dest=example.org:443 connected=- announced=192.0.2.1:40007 peer=- reply=0", RequestLogFormatter.FormatText(RequestLogEvent.Request, record, Now), StringComparison.Ordinal);
        record.Peer = new IPEndPoint(IPAddress.Parse("2001:db8::7"), 20);
        using var json = JsonDocument.Parse(RequestLogFormatter.FormatJson(RequestLogEvent.End, record, Now));
        Assert.Equal("192.0.2.1:40007", json.RootElement.GetProperty("announced").GetString());
        Assert.Equal("[2001:db8::7]:20", json.RootElement.GetProperty("peer").GetString());
    }

    [Fact]
    public void Other_commands_have_no_bind_fields()
    {
        Assert.DoesNotContain("announced=", RequestLogFormatter.FormatText(RequestLogEvent.End, Record(), Now), StringComparison.Ordinal);
    }
}
