namespace Windsock.Protocol;

/// <summary>SOCKS5 ATYP values (RFC 1928 section 5).</summary>
public enum AddressType : byte
{
    IPv4 = 0x01,
    DomainName = 0x03,
    IPv6 = 0x04,
}
