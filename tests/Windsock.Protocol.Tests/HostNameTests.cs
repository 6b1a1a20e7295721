using System.Text;
using Windsock.Protocol.Tests.Support;
using Xunit;

namespace Windsock.Protocol.Tests;

public class HostNameTests
{
    [Fact]
    public void Every_single_byte_is_valid_exactly_when_printable_ascii()
    {
        for (int b = 0; b < 256; b++)
        {
            var expected = b is >= 0x21 and <= 0x7E ? ProtocolError.None : ProtocolError.InvalidHostName;
            Assert.Equal(expected, HostName.Validate([(byte)b]));
            Assert.Equal(expected, HostName.Validate(((char)b).ToString()));
        }
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("a")]
    [InlineData("xn--bcher-kva.example")]
    [InlineData("under_score.example")]
    [InlineData("192.0.2.1")]
    [InlineData("[::1]")]
    public void Accepts_printable_names(string name)
    {
        Assert.Equal(ProtocolError.None, HostName.Validate(name));
        Assert.Equal(ProtocolError.None, HostName.Validate(Encoding.ASCII.GetBytes(name)));
    }

    [Theory]
    [InlineData("exa mple.com")]
    [InlineData("example.com\0")]
    [InlineData("\0")]
    [InlineData("tab\there")]
    [InlineData("line\r\nbreak")]
    [InlineData("del\u007F")]
    [InlineData("bücher.example")]
    [InlineData("\u0080")]
    [InlineData(" ")]
    public void Rejects_spaces_controls_and_non_ascii(string name)
    {
        Assert.Equal(ProtocolError.InvalidHostName, HostName.Validate(name));
    }

    [Theory]
    [InlineData(new byte[] { 0x61, 0x80, 0x62 })]
    [InlineData(new byte[] { 0xC3, 0xBC })]
    [InlineData(new byte[] { 0x61, 0x00 })]
    [InlineData(new byte[] { 0x7F })]
    [InlineData(new byte[] { 0x20 })]
    public void Rejects_invalid_bytes(byte[] name)
    {
        Assert.Equal(ProtocolError.InvalidHostName, HostName.Validate(name));
    }

    [Fact]
    public void Empty_name_is_empty()
    {
        Assert.Equal(ProtocolError.EmptyHostName, HostName.Validate(""));
        Assert.Equal(ProtocolError.EmptyHostName, HostName.Validate(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Names_up_to_255_are_accepted_and_longer_ones_are_too_long()
    {
        Assert.Equal(ProtocolError.None, HostName.Validate(new string('a', 255)));
        Assert.Equal(ProtocolError.None, HostName.Validate(Wire.Repeat((byte)'a', 255)));
        Assert.Equal(ProtocolError.HostNameTooLong, HostName.Validate(new string('a', 256)));
        Assert.Equal(ProtocolError.HostNameTooLong, HostName.Validate(Wire.Repeat((byte)'a', 256)));
    }

    [Fact]
    public void Length_is_checked_before_content()
    {
        Assert.Equal(ProtocolError.HostNameTooLong, HostName.Validate(new string(' ', 256)));
    }

    [Fact]
    public void Null_string_throws()
    {
        Assert.Throws<ArgumentNullException>(() => HostName.Validate((string)null!));
    }
}
