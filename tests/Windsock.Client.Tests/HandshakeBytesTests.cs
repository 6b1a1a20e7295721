using System.Net;
using System.Net.Sockets;
using System.Text;
using Windsock.Client.Tests.Support;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>
/// The exact bytes the client sends, against a scripted peer. The cases are the bugs .NET's own
/// SocksHelper once had (only "none" offered with credentials, version 5 in the RFC 1929 request,
/// a buffer too small for the largest SOCKS4a request) and the reply edge cases.
/// </summary>
public class HandshakeBytesTests
{
    private static readonly byte[] Succeeded127 = [5, 0, 0, 1, 127, 0, 0, 1, 0x1F, 0x90];

    [Fact]
    public async Task Socks5_with_credentials_offers_none_password_and_the_reason_method_then_sends_rfc1929_version_1()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint) { Credentials = new SocksCredentials("alice", "s3cret") });
        var connecting = client.ConnectAsync(IPAddress.Parse("10.1.2.3"), 443, cts.Token);

        await peer.ExpectAsync([5, 3, 0x00, 0x02, 0xE5], cts.Token);
        await peer.SendAsync([5, 2], cts.Token);
        await peer.ExpectAsync([1, 5, .. "alice"u8, 6, .. "s3cret"u8], cts.Token);
        await peer.SendAsync([1, 0], cts.Token);
        await peer.ExpectAsync([5, 1, 0, 1, 10, 1, 2, 3, 0x01, 0xBB], cts.Token);
        await peer.SendAsync(Succeeded127, cts.Token);

        using var socket = await connecting;
    }

    [Fact]
    public async Task Socks5_with_credentials_works_when_the_proxy_picks_none()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint) { Credentials = new SocksCredentials("alice", "s3cret") });
        var connecting = client.ConnectAsync("example.org", 80, cts.Token);

        await peer.ExpectAsync([5, 3, 0x00, 0x02, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 1, 0, 3, 11, .. "example.org"u8, 0, 80], cts.Token);
        await peer.SendAsync(Succeeded127, cts.Token);

        using var socket = await connecting;
    }

    [Fact]
    public async Task Socks5_without_credentials_offers_none_and_the_reason_method_and_sends_ipv6()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        var connecting = client.ConnectAsync(IPAddress.IPv6Loopback, 8080, cts.Token);

        await peer.ExpectAsync([5, 2, 0x00, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1F, 0x90], cts.Token);
        await peer.SendAsync(Succeeded127, cts.Token);

        using var socket = await connecting;
    }

    [Fact]
    public async Task Socks4a_sends_0_0_0_1_user_id_and_host_name()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint, SocksProtocol.Socks4a) { UserId = "bob" });
        var connecting = client.ConnectAsync("example.org", 80, cts.Token);

        await peer.ExpectAsync([4, 1, 0, 80, 0, 0, 0, 1, .. "bob"u8, 0, .. "example.org"u8, 0], cts.Token);
        await peer.SendAsync([0, 90, 0, 0, 0, 0, 0, 0], cts.Token);

        using var socket = await connecting;
    }

    [Fact]
    public async Task Largest_socks4a_request_is_sent_whole()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        string userId = new('u', 255);
        string host = string.Join('.', Enumerable.Repeat(new string('h', 63), 4)); // 255 characters
        Assert.Equal(255, host.Length);
        var client = new SocksClient(new ProxyHop(peer.EndPoint, SocksProtocol.Socks4a) { UserId = userId });
        var connecting = client.ConnectAsync(host, 65535, cts.Token);

        byte[] expected = [4, 1, 0xFF, 0xFF, 0, 0, 0, 1, .. Encoding.ASCII.GetBytes(userId), 0, .. Encoding.ASCII.GetBytes(host), 0];
        Assert.Equal(520, expected.Length);
        await peer.ExpectAsync(expected, cts.Token);
        await peer.SendAsync([0, 90, 0, 0, 0, 0, 0, 0], cts.Token);

        using var socket = await connecting;
    }

    [Fact]
    public async Task Largest_socks5_name_and_credentials_are_sent_whole()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        string user = new('u', 255), password = new('p', 255);
        string host = string.Join('.', Enumerable.Repeat(new string('h', 63), 4));
        var client = new SocksClient(new ProxyHop(peer.EndPoint) { Credentials = new SocksCredentials(user, password) });
        var connecting = client.ConnectAsync(host, 1, cts.Token);

        await peer.ExpectAsync([5, 3, 0, 2, 0xE5], cts.Token);
        await peer.SendAsync([5, 2], cts.Token);
        await peer.ExpectAsync([1, 255, .. Encoding.ASCII.GetBytes(user), 255, .. Encoding.ASCII.GetBytes(password)], cts.Token);
        await peer.SendAsync([1, 0], cts.Token);
        await peer.ExpectAsync([5, 1, 0, 3, 255, .. Encoding.ASCII.GetBytes(host), 0, 1], cts.Token);
        // The longest reply: a 255-byte name.
        await peer.SendAsync([5, 0, 0, 3, 255, .. Encoding.ASCII.GetBytes(host), 0, 1], cts.Token);

        using var socket = await connecting;
    }

    [Fact]
    public async Task Socks4_resolves_names_here_and_sends_the_user_name_as_user_id()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint, SocksProtocol.Socks4) { Credentials = new SocksCredentials("carol", "x") });
        var connecting = client.ConnectAsync("127.0.0.1", 80, cts.Token);

        await peer.ExpectAsync([4, 1, 0, 80, 127, 0, 0, 1, .. "carol"u8, 0], cts.Token);
        await peer.SendAsync([0, 90, 0, 0, 0, 0, 0, 0], cts.Token);

        using var socket = await connecting;
    }

    [Fact]
    public async Task Reply_is_read_exactly_and_the_destinations_first_bytes_stay_in_the_socket()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        var connecting = client.ConnectAsync("example.org", 80, cts.Token);

        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 1, 0, 3, 11, .. "example.org"u8, 0, 80], cts.Token);
        // Reply with a name, and the destination's banner in the same segment.
        await peer.SendAsync([5, 0, 0, 3, 4, .. "host"u8, 0, 80, .. "220 hello"u8], cts.Token);

        using var socket = await connecting;
        Assert.Equal("220 hello"u8.ToArray(), await Echo.ReadExactlyAsync(socket, 9, cts.Token));
    }

    [Fact]
    public async Task Refusal_is_a_typed_error_with_code_and_words()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9, cts.Token);

        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 1, 0, 1, 127, 0, 0, 1, 0, 9], cts.Token);
        await peer.SendAsync([5, 5, 0, 1, 0, 0, 0, 0, 0, 0], cts.Token);

        var e = await Assert.ThrowsAsync<SocksException>(() => connecting);
        Assert.Equal(SocksErrorKind.CommandFailed, e.Kind);
        Assert.Equal(5, e.ReplyCode);
        Assert.Equal("connection refused", e.ReplyMeaning);
        Assert.Equal(0, e.HopIndex);
        Assert.Equal("127.0.0.1:9", e.Destination);
        Assert.Null(e.Reason);
        Assert.Contains("reply 5, connection refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failure_code_is_reported_even_when_the_proxy_closes_after_two_bytes()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9, cts.Token);

        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 1, 0, 1, 127, 0, 0, 1, 0, 9], cts.Token);
        await peer.SendAsync([5, 2], cts.Token);
        peer.Connection.Shutdown(SocketShutdown.Send);

        var e = await Assert.ThrowsAsync<SocksException>(() => connecting);
        Assert.Equal(2, e.ReplyCode);
        Assert.Equal("connection not allowed by ruleset", e.ReplyMeaning);
    }

    [Fact]
    public async Task Socks4_rejection_is_a_typed_error_with_cd_91()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint, SocksProtocol.Socks4));
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9, cts.Token);

        await peer.ExpectAsync([4, 1, 0, 9, 127, 0, 0, 1, 0], cts.Token);
        await peer.SendAsync([0, 91, 0, 0, 0, 0, 0, 0], cts.Token);

        var e = await Assert.ThrowsAsync<SocksException>(() => connecting);
        Assert.Equal(SocksErrorKind.CommandFailed, e.Kind);
        Assert.Equal(91, e.ReplyCode);
        Assert.Equal("request rejected or failed", e.ReplyMeaning);
    }

    [Fact]
    public async Task No_acceptable_method_is_typed()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9, cts.Token);

        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await peer.SendAsync([5, 0xFF], cts.Token);

        var e = await Assert.ThrowsAsync<SocksException>(() => connecting);
        Assert.Equal(SocksErrorKind.NoAcceptableAuthMethod, e.Kind);
        Assert.Equal(0xFF, e.ReplyCode);
        Assert.Contains("no credentials were given", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Method_that_was_not_offered_is_a_protocol_violation()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9, cts.Token);

        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await peer.SendAsync([5, 2], cts.Token);

        var e = await Assert.ThrowsAsync<SocksException>(() => connecting);
        Assert.Equal(SocksErrorKind.ProtocolViolation, e.Kind);
    }

    [Fact]
    public async Task Wrong_reply_version_is_a_protocol_violation()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9, cts.Token);

        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await peer.SendAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray(), cts.Token);

        var e = await Assert.ThrowsAsync<SocksException>(() => connecting);
        Assert.Equal(SocksErrorKind.ProtocolViolation, e.Kind);
    }

    [Fact]
    public async Task Bad_password_status_is_typed_and_the_password_is_not_in_the_message()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint) { Credentials = new SocksCredentials("alice", "hunter2") });
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9, cts.Token);

        await peer.ExpectAsync([5, 3, 0, 2, 0xE5], cts.Token);
        await peer.SendAsync([5, 2], cts.Token);
        await peer.ExpectAsync([1, 5, .. "alice"u8, 7, .. "hunter2"u8], cts.Token);
        await peer.SendAsync([1, 0x11], cts.Token);

        var e = await Assert.ThrowsAsync<SocksException>(() => connecting);
        Assert.Equal(SocksErrorKind.AuthenticationFailed, e.Kind);
        Assert.Equal(0x11, e.ReplyCode);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
        Assert.True(await peer.ClientClosedAsync(cts.Token));
    }

    [Fact]
    public async Task Proxy_closing_mid_handshake_is_typed()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9, cts.Token);

        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        peer.Connection.Shutdown(SocketShutdown.Send);

        var e = await Assert.ThrowsAsync<SocksException>(() => connecting);
        Assert.Equal(SocksErrorKind.ConnectionClosed, e.Kind);
    }

    [Fact]
    public async Task Cancellation_while_the_proxy_is_silent_ends_the_call()
    {
        using var cts = Bounded.Cts();
        using var cancel = new CancellationTokenSource();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9, cancel.Token);

        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting);
        Assert.True(await peer.ClientClosedAsync(cts.Token));
    }

    [Fact]
    public async Task Socks4_cannot_carry_ipv6_and_says_so_before_sending_anything()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint, SocksProtocol.Socks4a));
        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.IPv6Loopback, 80, cts.Token));
        Assert.Equal(SocksErrorKind.AddressNotSupported, e.Kind);
    }

    [Fact]
    public async Task Unreachable_first_hop_is_typed()
    {
        using var cts = Bounded.Cts();
        var client = new SocksClient(new ProxyHop("127.0.0.1", FreePort.Closed()));
        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.Loopback, 80, cts.Token));
        Assert.Equal(SocksErrorKind.ProxyUnreachable, e.Kind);
        Assert.IsType<SocketException>(e.InnerException);
    }

    [Fact]
    public async Task Bind_substitutes_the_proxys_address_for_0_0_0_0_and_reads_the_second_reply()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        var binding = client.BindAsync(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 0), cts.Token);

        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 2, 0, 1, 192, 0, 2, 7, 0, 0], cts.Token);
        await peer.SendAsync([5, 0, 0, 1, 0, 0, 0, 0, 0x30, 0x39], cts.Token);

        await using var bind = await binding;
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 12345), bind.ListenEndPoint);
        var accepting = bind.AcceptAsync(cts.Token);
        await peer.SendAsync([5, 0, 0, 1, 192, 0, 2, 7, 0x04, 0xD2, .. "from peer"u8], cts.Token);

        using var socket = await accepting;
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 1234), bind.RemoteEndPoint);
        Assert.Equal("from peer"u8.ToArray(), await Echo.ReadExactlyAsync(socket, 9, cts.Token));
    }

    [Fact]
    public async Task Bind_announcing_a_name_that_does_not_resolve_is_a_SocksException()
    {
        // Found by the client-replies fuzz target: the lookup's SocketException came out of BindAsync. The
        // name has an empty label, which the system resolver refuses without sending a query anywhere.
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        var binding = client.BindAsync(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 0), cts.Token);

        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 2, 0, 1, 192, 0, 2, 7, 0, 0], cts.Token);
        await peer.SendAsync([5, 0, 0, 3, 9, .. "bad..name"u8, 0x30, 0x39], cts.Token);

        var e = await Assert.ThrowsAsync<SocksException>(() => binding);
        Assert.Equal(SocksErrorKind.ProtocolViolation, e.Kind);
        Assert.Contains("bad..name", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Socks4_bind_sends_cd_2_and_reads_two_replies()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint, SocksProtocol.Socks4));
        var binding = client.BindAsync(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 21), cts.Token);

        await peer.ExpectAsync([4, 2, 0, 21, 192, 0, 2, 7, 0], cts.Token);
        await peer.SendAsync([0, 90, 0x30, 0x39, 198, 51, 100, 1], cts.Token);

        await using var bind = await binding;
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.1"), 12345), bind.ListenEndPoint);
        var accepting = bind.AcceptAsync(cts.Token);
        await peer.SendAsync([0, 91, 0, 0, 0, 0, 0, 0], cts.Token);

        var e = await Assert.ThrowsAsync<SocksException>(() => accepting);
        Assert.Equal(91, e.ReplyCode);
    }
}
