namespace Windsock.Protocol.Socks5;

/// <summary>SOCKS5 authentication method codes (RFC 1928 section 3).</summary>
public enum AuthMethod : byte
{
    None = 0x00,
    Gssapi = 0x01,
    UsernamePassword = 0x02,
    NoAcceptableMethods = 0xFF,
}
