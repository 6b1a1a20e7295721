namespace Windsock.Protocol;

/// <summary>The protocol family a connection speaks, told apart by its first byte on a shared port.</summary>
public enum SocksVersion : byte
{
    Socks4 = 0x04,
    Socks5 = 0x05,
}

public static class SocksVersionDetector
{
    /// <summary>Returns the version the first byte announces, or null when it is neither 4 nor 5.</summary>
    public static SocksVersion? Detect(byte firstByte) => firstByte switch
    {
        0x04 => SocksVersion.Socks4,
        0x05 => SocksVersion.Socks5,
        _ => null,
    };
}
