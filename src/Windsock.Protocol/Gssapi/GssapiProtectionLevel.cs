namespace Windsock.Protocol.Gssapi;

/// <summary>
/// The one octet exchanged in an RFC 1961 protection-level message (section 4), ordered weakest first so
/// that "the server may answer with a lower level" is a comparison.
/// </summary>
public enum GssapiProtectionLevel : byte
{
    /// <summary>
    /// No per-message protection: the session authenticates and then runs unwrapped. Not in RFC 1961;
    /// Dante calls it "clear", and curl proposes it (octet 0), since curl cannot wrap data.
    /// </summary>
    Clear = 0x00,

    /// <summary>Every message wrapped with integrity (gss_wrap with conf_req_flag false).</summary>
    Integrity = 0x01,

    /// <summary>Every message wrapped with integrity and confidentiality (conf_req_flag true).</summary>
    Confidentiality = 0x02,

    /// <summary>Each message chooses integrity or confidentiality; a receiver accepts both.</summary>
    Selective = 0x03,
}
