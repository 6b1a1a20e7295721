using System.Buffers.Binary;
using System.Net;
using CsCheck;
using Windsock.Cli.Run;
using Windsock.Client.Routing;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>windsock run's routing core without a program: the answers the preload and the launcher get.</summary>
public sealed class RunCoreTests
{
    private static MappedAddresses Mapped() => new(MappedAddresses.DefaultIPv4, MappedAddresses.DefaultIPv6);

    [Fact]
    public void Control_text_round_trips_any_string_and_matches_the_C_encoding()
    {
        Gen.String.Sample(text => Assert.Equal(text, ControlText.Decode(ControlText.Encode(text))));
        Assert.Equal("-", ControlText.Encode(""));
        Assert.Equal("%2D", ControlText.Encode("-"));
        Assert.Equal("a%20b%25c", ControlText.Encode("a b%c"));
        Assert.Equal("windsock%2Donly.test", ControlText.Encode("windsock-only.test"));
    }

    [Fact]
    public void A_name_keeps_its_pair_of_addresses_and_maps_back()
    {
        MappedAddresses mapped = Mapped();
        Assert.True(mapped.TryMap("Example.ORG.", out IPAddress v4, out IPAddress v6));
        Assert.True(mapped.TryMap("example.org", out IPAddress again4, out IPAddress again6));
        Assert.Equal(v4, again4);
        Assert.Equal(v6, again6);
        Assert.Equal(IPAddress.Parse("198.18.0.1"), v4);
        Assert.Equal(IPAddress.Parse("fd57:696e:6473::1"), v6);
        Assert.True(mapped.TryGetName(v6, out string? name) && name == "example.org");
        Assert.True(mapped.TryGetName(IPAddress.Parse("::ffff:198.18.0.1"), out name) && name == "example.org");
        Assert.False(mapped.TryGetName(IPAddress.Parse("198.18.0.2"), out _));
    }

    [Fact]
    public void A_small_range_runs_out_and_multicast_is_refused()
    {
        var mapped = new MappedAddresses(IPNetwork.Parse("198.18.0.0/30"), MappedAddresses.DefaultIPv6);
        Assert.True(mapped.TryMap("a.test", out _, out _));
        Assert.True(mapped.TryMap("b.test", out _, out _));
        Assert.False(mapped.TryMap("c.test", out _, out _));
        Assert.Throws<ArgumentException>(() => new MappedAddresses(IPNetwork.Parse("224.0.0.0/4"), MappedAddresses.DefaultIPv6));
        Assert.Throws<ArgumentException>(() => new MappedAddresses(MappedAddresses.DefaultIPv4, IPNetwork.Parse("ff00::/8")));
    }

    [Fact]
    public void Dns_A_AAAA_and_PTR_questions_get_mapped_answers()
    {
        MappedAddresses mapped = Mapped();
        byte[]? a = DnsAnswer.Respond(Query("site.test", 1), mapped, out _);
        Assert.NotNull(a);
        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16BigEndian(a));
        Assert.Equal(0x81, a[2]); // a response, recursion desired as asked
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(a.AsSpan(6)));
        Assert.Equal(IPAddress.Parse("198.18.0.1"), new IPAddress(a.AsSpan(a.Length - 4)));

        byte[]? aaaa = DnsAnswer.Respond(Query("site.test", 28), mapped, out _);
        Assert.Equal(IPAddress.Parse("fd57:696e:6473::1"), new IPAddress(aaaa.AsSpan(aaaa!.Length - 16)));

        byte[]? ptr = DnsAnswer.Respond(Query("1.0.18.198.in-addr.arpa", 12), mapped, out string? explanation);
        Assert.Equal("DNS query PTR 198.18.0.1: site.test", explanation);
        Assert.True(ptr.AsSpan().EndsWith("\u0004site\u0004test\0"u8));

        byte[]? mx = DnsAnswer.Respond(Query("site.test", 15), mapped, out _);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(mx.AsSpan(6))); // NOERROR, no answer
    }

    [Fact]
    public void Dns_garbage_and_truncated_questions_are_dropped()
    {
        MappedAddresses mapped = Mapped();
        byte[] query = Query("site.test", 1);
        for (int length = 0; length < query.Length; length++)
        {
            Assert.Null(DnsAnswer.Respond(query.AsSpan(0, length), mapped, out _));
        }

        Gen.Byte.Array[0, 600].Sample(bytes => { _ = DnsAnswer.Respond(bytes, mapped, out _); });
    }

    [Fact]
    public void Routes_keep_loopback_direct_unless_a_rule_names_it_and_deny_in_one_line()
    {
        const string File = """
            [[rule]]
            name = "blocked"
            action = "deny"
            to = ["blocked.test", "192.0.2.66"]

            [[rule]]
            name = "their loopback"
            action = "via"
            to = ["127.0.0.2"]
            proxies = ["socks5h://192.0.2.1:1080"]

            [[rule]]
            action = "via"
            proxies = ["socks5h://user:pass@192.0.2.1:1080"]
            """;
        var error = new StringWriter();
        var routes = new RunRoutes(Router.Parse(File, "client.toml"), Mapped(), error, explain: false);

        Assert.Equal("PASS\n", routes.Answer("CONNECT 1 127.0.0.1 80"));
        Assert.StartsWith("VIA 127.0.0.2:80 1\nTRY 192.0.2.1 1080 1\nHOP 5 - - 127.0.0.2 80 ", routes.Answer("CONNECT 1 127.0.0.2 80"), StringComparison.Ordinal);
        Assert.Equal("DENY 13\n", routes.Answer("CONNECT 1 192.0.2.66 25"));
        Assert.Equal("windsock: connect to 192.0.2.66:25 denied by rule 1 \"blocked\" (client.toml:1:1) (the routing file says deny)", error.ToString().Trim());

        Assert.Equal("MAPPED 198.18.0.1 fd57:696e:6473::1\n", routes.Answer("NAME 1 blocked.test"));
        Assert.Equal("DENY 13\n", routes.Answer("CONNECT 1 198.18.0.1 80"));
        Assert.Equal("NAME blocked.test\n", routes.Answer("ADDR 1 198.18.0.1"));

        Assert.Equal("MAPPED 198.18.0.2 fd57:696e:6473::2\n", routes.Answer("NAME 1 www.example.org"));
        Assert.Equal("VIA www.example.org:443 1\nTRY 192.0.2.1 1080 1\nHOP 5 user pass www.example.org 443 socks5h://192.0.2.1:1080\n", routes.Answer("CONNECT 1 198.18.0.2 443"));
        Assert.Equal("LOCAL\n", routes.Answer("NAME 1 localhost"));
        Assert.Equal("ERROR unknown request\n", routes.Answer("HELLO"));
        Assert.Equal("ERROR malformed request\n", routes.Answer("CONNECT 1 127.0.0.1 99999"));
    }

    /// <summary>A standard query (ID 0x1234, RD) for NAME with QTYPE.</summary>
    private static byte[] Query(string name, ushort type)
    {
        var bytes = new List<byte> { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (string label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }

        bytes.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
        return [.. bytes];
    }
}
