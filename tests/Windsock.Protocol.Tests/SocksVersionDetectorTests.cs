using Xunit;

namespace Windsock.Protocol.Tests;

public class SocksVersionDetectorTests
{
    [Fact]
    public void Only_4_and_5_are_versions()
    {
        for (int b = 0; b < 256; b++)
        {
            SocksVersion? expected = b switch
            {
                4 => SocksVersion.Socks4,
                5 => SocksVersion.Socks5,
                _ => null,
            };
            Assert.Equal(expected, SocksVersionDetector.Detect((byte)b));
        }
    }
}
