namespace Windsock.Protocol.Socks4;

/// <summary>SOCKS4 CD values in a request.</summary>
public enum Socks4Command : byte
{
    Connect = 0x01,
    Bind = 0x02,
}
