namespace Windsock.Protocol.Gssapi;

/// <summary>MTYP of an RFC 1961 message: what the token inside it is.</summary>
public enum GssapiMessageType : byte
{
    /// <summary>Security context establishment: GSS-API tokens both ways until the context is complete (section 3).</summary>
    ContextToken = 0x01,

    /// <summary>Protection-level negotiation: one wrapped octet each way (section 4).</summary>
    ProtectionLevel = 0x02,

    /// <summary>Per-message encapsulation of everything after negotiation (section 5).</summary>
    Encapsulated = 0x03,

    /// <summary>Either side gives up: the message is VER and MTYP only, with no length or token (section 3).</summary>
    Abort = 0xFF,
}
