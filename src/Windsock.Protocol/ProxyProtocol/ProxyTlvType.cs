namespace Windsock.Protocol.ProxyProtocol;

/// <summary>The PROXY v2 TLV types Windsock reads (section 2.2 of proxy-protocol.txt); every other type is skipped.</summary>
public static class ProxyTlvType
{
    /// <summary>PP2_TYPE_CRC32C: a 4-byte CRC32c of the whole header, computed with this field zeroed.</summary>
    public const byte Crc32C = 0x03;

    /// <summary>PP2_TYPE_UNIQUE_ID: up to 128 opaque bytes naming the connection on the balancer.</summary>
    public const byte UniqueId = 0x05;

    /// <summary>The longest unique id the specification allows.</summary>
    public const int MaxUniqueIdLength = 128;
}
