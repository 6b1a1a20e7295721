using System.Globalization;
using System.Net;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>A UDP echo and a dnsmasq on loopback, the destinations of the UDP ASSOCIATE tests.</summary>
public sealed class UdpTargetsFixture : IAsyncLifetime
{
    private Dnsmasq? _dns;

    public UdpEcho Echo { get; } = new(IPAddress.Loopback, IPAddress.IPv6Loopback);

    public Dnsmasq Dns => _dns ?? throw new InvalidOperationException("dnsmasq not started");

    public async ValueTask InitializeAsync() => _dns = await Dnsmasq.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await Echo.DisposeAsync();
        if (_dns is not null)
        {
            await _dns.DisposeAsync();
        }
    }
}

/// <summary>Real clients over SOCKS5 UDP ASSOCIATE against `windsock serve`: PySocks, node's socks, DNS to dnsmasq.</summary>
[Trait("Needs", "windsock-serve")]
public sealed class UdpAssociateInteropTests(UdpTargetsFixture targets, OpenServerFixture fixture)
    : IClassFixture<UdpTargetsFixture>, IClassFixture<OpenServerFixture>
{
    private WindsockProcess Server => fixture.Server;

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("localhost", true)] // the name travels in the datagram and the server resolves it
    public async Task PySocks_sendto_recvfrom_through_the_relay(string target, bool rdns)
    {
        var result = await ProcessRunner.RunAsync(Tools.Python,
            ["-c", PySocksUdpScript, Server.IPv4.Address.ToString(), Port(Server.IPv4.Port), target, Port(targets.Echo.Port), rdns ? "1" : "0"]);
        Expect.Success(result, Server);
        var words = result.StdoutText.Trim().Split(' ');
        Assert.True(words is [var host, var port, "pysocks-udp"] && port == Port(targets.Echo.Port)
                && (host == "127.0.0.1" || host == "::1"),
            $"unexpected PySocks output\n{result.Describe()}\n{Server.Transcript()}");
        await Server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("command=udp-associate", StringComparison.Ordinal)
            && l.Contains("datagrams_up=1 datagrams_down=1", StringComparison.Ordinal), "UDP end line with one datagram each way");
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Node_socks_associate_to_v4_and_v6_targets(string target)
    {
        var script = Path.Combine(RepositoryRoot(), "tests", "Windsock.Interop.Tests", "node-udp", "associate.js");
        var result = await ProcessRunner.RunAsync(Tools.Node,
            [script, Server.IPv4.Address.ToString(), Port(Server.IPv4.Port), target, Port(targets.Echo.Port), "node-udp"]);
        Expect.Success(result, Server);
        // node's parseUDPFrame writes IPv6 senders in full (0000:...:0001): compare addresses, not text.
        var words = result.StdoutText.Trim().Split(' ');
        Assert.True(words is [var host, var port, "node-udp"] && IPAddress.TryParse(host, out var sender)
                && sender.Equals(IPAddress.Parse(target)) && port == Port(targets.Echo.Port),
            $"unexpected node output\n{result.Describe()}\n{Server.Transcript()}");
    }

    [Fact]
    public async Task Node_socks_over_the_ipv6_listener()
    {
        var script = Path.Combine(RepositoryRoot(), "tests", "Windsock.Interop.Tests", "node-udp", "associate.js");
        var result = await ProcessRunner.RunAsync(Tools.Node,
            [script, Server.IPv6.Address.ToString(), Port(Server.IPv6.Port), "127.0.0.1", Port(targets.Echo.Port), "node-udp6"]);
        Expect.Success(result, Server);
        Assert.True(result.StdoutText.Trim() == $"127.0.0.1 {targets.Echo.Port} node-udp6",
            $"unexpected node output\n{result.Describe()}\n{Server.Transcript()}");
    }

    [Fact]
    public async Task Dns_query_through_the_relay_is_answered_by_dnsmasq()
    {
        var result = await ProcessRunner.RunAsync(Tools.Python,
            ["-c", PySocksDnsScript, Server.IPv4.Address.ToString(), Port(Server.IPv4.Port), Port(targets.Dns.Port), Dnsmasq.Name]);
        Expect.Success(result, Server);
        Assert.True(result.StdoutText.Trim() == $"{Dnsmasq.Answer} from 127.0.0.1:{targets.Dns.Port}",
            $"expected dnsmasq's answer {Dnsmasq.Answer}\n{result.Describe()}\n{Server.Transcript()}");
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Windsock.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root not found");
    }

    private const string PySocksUdpScript = """
        import socket, sys
        import socks
        phost, pport, thost, tport, rdns = sys.argv[1:]
        s = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)
        s.set_proxy(socks.SOCKS5, phost, int(pport), rdns=rdns == "1")
        s.settimeout(30)
        s.sendto(b"pysocks-udp", (thost, int(tport)))
        data, (host, port) = s.recvfrom(65535)
        print(host, port, data.decode())
        s.close()
        """;

    private const string PySocksDnsScript = """
        import random, socket, struct, sys
        import socks
        phost, pport, dport, name = sys.argv[1:]
        qid = random.randrange(65536)
        query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        query += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
        s = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)
        s.set_proxy(socks.SOCKS5, phost, int(pport))
        s.settimeout(30)
        s.sendto(query, ("127.0.0.1", int(dport)))
        data, sender = s.recvfrom(4096)
        rid, flags, qd, an = struct.unpack(">HHHH", data[:8])
        assert rid == qid and flags & 0x8000 and flags & 0xF == 0 and an >= 1, (rid, qid, hex(flags), an)
        off = 12
        while data[off]:
            off += data[off] + 1
        off += 5
        off += 2 if data[off] & 0xC0 == 0xC0 else 0
        rtype, rclass, ttl, rdlen = struct.unpack(">HHIH", data[off:off + 10])
        assert rtype == 1 and rdlen == 4, (rtype, rdlen)
        print("%s from %s:%d" % (socket.inet_ntoa(data[off + 10:off + 14]), sender[0], sender[1]))
        s.close()
        """;
}
