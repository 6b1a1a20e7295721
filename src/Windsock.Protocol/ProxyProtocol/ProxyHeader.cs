using System.Net;

namespace Windsock.Protocol.ProxyProtocol;

/// <summary>
/// A PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2): the line or block a TCP balancer
/// puts in front of a relayed connection to name the client it came from.
/// <code>
/// v1: PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n           (at most 107 bytes with CRLF)
/// v2: \r\n\r\n\0\r\nQUIT\n | ver/cmd | fam/proto | len (2) | addresses | TLVs
/// </code>
/// The parser is strict, as section 2.1 asks ("any sequence which does not exactly match the protocol must be
/// discarded"): a receiver that guessed would let clients spoof addresses. v2 TLVs are walked so that a length
/// running past the header is an error; a CRC32C TLV is checked; a unique id is kept for the log; the others
/// are skipped.
/// </summary>
/// <param name="Version">1 (text) or 2 (binary).</param>
/// <param name="Command">LOCAL (the balancer's own connection) or PROXY (a relayed client).</param>
/// <param name="Source">The client's address and port; null for LOCAL and when the balancer could not name it.</param>
/// <param name="Destination">The address and port the client connected to on the balancer; null with <see cref="Source"/>.</param>
/// <param name="UniqueId">v2 PP2_TYPE_UNIQUE_ID as printable ASCII (or hex when it is not); null without one.</param>
/// <param name="Checksummed">A v2 CRC32C TLV was present and matched.</param>
public readonly record struct ProxyHeader(int Version, ProxyHeaderCommand Command, IPEndPoint? Source, IPEndPoint? Destination, string? UniqueId = null, bool Checksummed = false)
{
    /// <summary>
    /// The longest header accepted: the 16 fixed bytes of v2 and 1,024 of addresses and TLVs. HAProxy's largest
    /// (IPv6, a 128-byte unique id, SSL details with a client certificate's CN) stays well below; a declared
    /// length above is refused before anything more is read for it.
    /// </summary>
    public const int MaxLength = ProxyHeaderV2.FixedLength + 1024;

    /// <summary>The longest v1 line, CRLF included ("PROXY UNKNOWN" with two full IPv6 addresses and ports).</summary>
    public const int MaxV1Length = ProxyHeaderV1.MaxLength;

    /// <summary>
    /// Parses a header at the start of <paramref name="input"/>. NeedMore while the bytes are a prefix of one;
    /// Done with the header's length (bytes behind it belong to the relayed connection); an error as soon as the
    /// bytes cannot become one.
    /// </summary>
    public static ParseResult TryParse(ReadOnlySpan<byte> input, out ProxyHeader header)
    {
        header = default;
        if (ProxyHeaderV2.MatchesSignature(input) is var v2 && v2 != Match.No)
        {
            return v2 == Match.Partial ? ParseResult.NeedMore : ProxyHeaderV2.TryParse(input, out header);
        }

        if (ProxyHeaderV1.MatchesPrefix(input) is var v1 && v1 != Match.No)
        {
            return v1 == Match.Partial ? ParseResult.NeedMore : ProxyHeaderV1.TryParse(input, out header);
        }

        return ParseResult.Fail(ProtocolError.NotProxyHeader);
    }

    /// <summary>
    /// Whether the bytes so far could be the start of a PROXY header: lets a server tell a client that sends one
    /// without being a configured balancer from one that speaks some other protocol. Empty input is not.
    /// </summary>
    public static bool LooksLikeHeader(ReadOnlySpan<byte> input) =>
        !input.IsEmpty && (ProxyHeaderV2.MatchesSignature(input) != Match.No || ProxyHeaderV1.MatchesPrefix(input) != Match.No);

    /// <summary>How far bytes agree with a fixed signature.</summary>
    internal enum Match
    {
        No,
        Partial,
        Whole,
    }

    /// <summary>Whether <paramref name="input"/> starts with <paramref name="signature"/>, or is shorter and a prefix of it.</summary>
    internal static Match Compare(ReadOnlySpan<byte> input, ReadOnlySpan<byte> signature)
    {
        if (input.Length < signature.Length)
        {
            return signature.StartsWith(input) ? Match.Partial : Match.No;
        }

        return input.StartsWith(signature) ? Match.Whole : Match.No;
    }
}
