using System.Net;
using System.Text;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.UsernamePassword;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

/// <summary>The limits are the sizes of the largest valid messages, neither smaller nor larger.</summary>
public class SocksLimitsTests
{
    [Fact]
    public void Limits_have_their_wire_format_values()
    {
        Assert.Equal(255, SocksLimits.MaxHostNameLength);
        Assert.Equal(255, SocksLimits.MaxUserIdLength);
        Assert.Equal(255, SocksLimits.MaxCredentialLength);
        Assert.Equal(8 + 255 + 1 + 255 + 1, SocksLimits.MaxSocks4RequestLength);
        Assert.Equal(4 + 1 + 255 + 2, SocksLimits.MaxSocks5RequestLength);
        Assert.Equal(2 + 255, SocksLimits.MaxSocks5GreetingLength);
        Assert.Equal(1 + 1 + 255 + 1 + 255, SocksLimits.MaxUsernamePasswordRequestLength);
    }

    [Fact]
    public void Largest_socks4a_request_is_max_socks4_request_length()
    {
        var request = new Socks4Request(Socks4Command.Bind, SocksEndpoint.FromHost(new string('h', 255), 1), new string('u', 255));
        var bytes = Written(b => request.Write(b));
        Assert.Equal(SocksLimits.MaxSocks4RequestLength, bytes.Length);
        Assert.Equal(ParseResult.Done(SocksLimits.MaxSocks4RequestLength), Socks4Request.TryParse(bytes, out _));
    }

    [Fact]
    public void One_byte_more_of_socks4a_user_id_or_host_is_invalid()
    {
        var header = Hex("04 01 0050 00000001");
        var longerUser = Concat(header, Repeat((byte)'u', 256), [0], Repeat((byte)'h', 254), [0]);
        var longerHost = Concat(header, Repeat((byte)'u', 254), [0], Repeat((byte)'h', 256), [0]);
        Assert.Equal(SocksLimits.MaxSocks4RequestLength, longerUser.Length);
        Assert.Equal(SocksLimits.MaxSocks4RequestLength, longerHost.Length);
        Assert.Equal(ParseResult.Fail(ProtocolError.UserIdTooLong), Socks4Request.TryParse(longerUser, out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.HostNameTooLong), Socks4Request.TryParse(longerHost, out _));

        // A SOCKS4 parser never needs more than the limit to decide.
        var stream = Concat(header, Repeat((byte)'u', SocksLimits.MaxSocks4RequestLength));
        Assert.True(Socks4Request.TryParse(stream.AsSpan(0, SocksLimits.MaxSocks4RequestLength), out _).IsError);
    }

    [Fact]
    public void Largest_socks5_request_and_reply_are_max_socks5_request_length()
    {
        var endpoint = SocksEndpoint.FromHost(new string('d', 255), 65535);
        var request = new Socks5Request(Socks5Command.UdpAssociate, endpoint);
        var reply = new Socks5Reply(Socks5ReplyCode.Succeeded, endpoint);
        Assert.Equal(SocksLimits.MaxSocks5RequestLength, request.EncodedLength);
        Assert.Equal(SocksLimits.MaxSocks5RequestLength, reply.EncodedLength);
        Assert.Equal(ParseResult.Done(SocksLimits.MaxSocks5RequestLength), Socks5Request.TryParse(Written(b => request.Write(b)), out _));
        Assert.Equal(ParseResult.Done(SocksLimits.MaxSocks5RequestLength), Socks5Reply.TryParse(Written(b => reply.Write(b)), out _));
    }

    [Fact]
    public void Every_socks5_request_fits_the_limit()
    {
        // The length byte cannot say more than 255, and IPv6 is shorter than that.
        Assert.True(SocksEndpoint.FromAddress(IPAddress.IPv6Any, 0).Socks5EncodedLength + 3 < SocksLimits.MaxSocks5RequestLength);
        var maxLengthByte = Concat(Hex("05 01 00 03 FF"), Repeat((byte)'x', 255), Hex("0050"), Repeat((byte)'x', 50));
        Assert.Equal(ParseResult.Done(SocksLimits.MaxSocks5RequestLength), Socks5Request.TryParse(maxLengthByte, out _));
    }

    [Fact]
    public void Largest_greeting_is_max_socks5_greeting_length()
    {
        var methods = Enumerable.Range(0, 255).Select(i => (byte)i).ToArray();
        var bytes = Written(b => Socks5Greeting.Write(b, methods));
        Assert.Equal(SocksLimits.MaxSocks5GreetingLength, bytes.Length);
        Assert.Equal(ParseResult.Done(SocksLimits.MaxSocks5GreetingLength), Socks5Greeting.TryParse(Concat(bytes, [0x05]), out _));
    }

    [Fact]
    public void Largest_username_password_request_is_max_username_password_request_length()
    {
        var request = new UsernamePasswordRequest(new string('é', 127) + "u", new string('€', 85));
        Assert.Equal(255, Encoding.UTF8.GetByteCount(request.UserName));
        Assert.Equal(255, Encoding.UTF8.GetByteCount(request.Password));
        var bytes = Written(b => request.Write(b));
        Assert.Equal(SocksLimits.MaxUsernamePasswordRequestLength, bytes.Length);
        Assert.Equal(ParseResult.Done(SocksLimits.MaxUsernamePasswordRequestLength), UsernamePasswordRequest.TryParse(bytes, out var parsed));
        Assert.Equal(request, parsed);
    }
}
