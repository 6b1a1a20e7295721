using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Windsock.Protocol.ProxyProtocol;

/// <summary>
/// The text header (proxy-protocol.txt section 2.1): one US-ASCII line, single spaces, CRLF.
/// <code>
/// PROXY TCP4 &lt;src&gt; &lt;dst&gt; &lt;sport&gt; &lt;dport&gt;\r\n
/// PROXY TCP6 &lt;src&gt; &lt;dst&gt; &lt;sport&gt; &lt;dport&gt;\r\n
/// PROXY UNKNOWN[ anything]\r\n
/// </code>
/// IPv4 addresses are four decimal numbers without leading zeros (no octal doubt), IPv6 addresses are hex
/// groups and colons, ports are decimal without leading zeros; a lone CR or LF never ends the line.
/// </summary>
internal static class ProxyHeaderV1
{
    /// <summary>"PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n": the spec's worst case.</summary>
    public const int MaxLength = 107;

    private static ReadOnlySpan<byte> Prefix => "PROXY"u8;

    public static ProxyHeader.Match MatchesPrefix(ReadOnlySpan<byte> input) => ProxyHeader.Compare(input, Prefix);

    /// <summary>Parses a line whose "PROXY" is already known to be there.</summary>
    public static ParseResult TryParse(ReadOnlySpan<byte> input, out ProxyHeader header)
    {
        header = default;
        var window = input[..Math.Min(input.Length, MaxLength)];
        int cr = window.IndexOf((byte)'\r');
        int lf = window.IndexOf((byte)'\n');
        if (lf >= 0 && (cr < 0 || cr != lf - 1))
        {
            // An LF without its CR (or after a CR that something else followed).
            return ParseResult.Fail(ProtocolError.InvalidProxyHeader);
        }

        if (cr >= 0 && cr + 1 < window.Length && window[cr + 1] != (byte)'\n')
        {
            return ParseResult.Fail(ProtocolError.InvalidProxyHeader);
        }

        if (lf < 0)
        {
            // CR as the last byte so far may still be followed by its LF.
            return input.Length >= MaxLength ? ParseResult.Fail(ProtocolError.ProxyHeaderTooLong) : ParseResult.NeedMore;
        }

        var line = window[..cr];
        foreach (byte b in line)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return ParseResult.Fail(ProtocolError.InvalidProxyHeader);
            }
        }

        var fields = new FieldReader(line[Prefix.Length..]);
        if (!fields.Next(out var protocol))
        {
            return ParseResult.Fail(ProtocolError.InvalidProxyHeader);
        }

        if (protocol.SequenceEqual("UNKNOWN"u8))
        {
            // The receiver "must ignore anything presented before the CRLF".
            header = new ProxyHeader(1, ProxyHeaderCommand.Proxy, null, null);
            return ParseResult.Done(lf + 1);
        }

        AddressFamily family;
        if (protocol.SequenceEqual("TCP4"u8))
        {
            family = AddressFamily.InterNetwork;
        }
        else if (protocol.SequenceEqual("TCP6"u8))
        {
            family = AddressFamily.InterNetworkV6;
        }
        else
        {
            return ParseResult.Fail(ProtocolError.InvalidProxyHeader);
        }

        if (!fields.Next(out var sourceText) || !fields.Next(out var destinationText) || !fields.Next(out var sourcePortText)
            || !fields.Next(out var destinationPortText) || !fields.AtEnd
            || ParseAddress(sourceText, family) is not { } source || ParseAddress(destinationText, family) is not { } destination
            || ParsePort(sourcePortText) is not { } sourcePort || ParsePort(destinationPortText) is not { } destinationPort)
        {
            return ParseResult.Fail(ProtocolError.InvalidProxyHeader);
        }

        header = new ProxyHeader(1, ProxyHeaderCommand.Proxy, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
        return ParseResult.Done(lf + 1);
    }

    private static IPAddress? ParseAddress(ReadOnlySpan<byte> text, AddressFamily family) =>
        family == AddressFamily.InterNetwork ? ParseIPv4(text) : ParseIPv6(text);

    /// <summary>Exactly four numbers 0..255, one dot between each, no leading zeros (IPAddress.Parse takes octal, hex and fewer parts).</summary>
    private static IPAddress? ParseIPv4(ReadOnlySpan<byte> text)
    {
        Span<byte> octets = stackalloc byte[4];
        int part = 0;
        while (part < 4)
        {
            int dot = text.IndexOf((byte)'.');
            var digits = part < 3 ? (dot < 0 ? [] : text[..dot]) : text;
            if (ParseDecimal(digits, 3) is not { } value || value > 255)
            {
                return null;
            }

            octets[part++] = (byte)value;
            text = part < 4 ? text[(dot + 1)..] : [];
        }

        return new IPAddress(octets);
    }

    /// <summary>Hex groups and colons (and a dotted IPv4 tail, as inet_ntop writes mapped addresses); no zone, no brackets.</summary>
    private static IPAddress? ParseIPv6(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return null;
        }

        foreach (byte b in text)
        {
            if (!(char.IsAsciiHexDigit((char)b) || b is (byte)':' or (byte)'.'))
            {
                return null;
            }
        }

        return IPAddress.TryParse(Encoding.ASCII.GetString(text), out var address) && address.AddressFamily == AddressFamily.InterNetworkV6
            ? address
            : null;
    }

    private static int? ParsePort(ReadOnlySpan<byte> text) => ParseDecimal(text, 5) is { } port && port <= 65535 ? port : null;

    /// <summary>1 to <paramref name="maxDigits"/> decimal digits, without a leading zero unless the number is 0.</summary>
    private static int? ParseDecimal(ReadOnlySpan<byte> text, int maxDigits)
    {
        if (text.IsEmpty || text.Length > maxDigits || (text.Length > 1 && text[0] == (byte)'0'))
        {
            return null;
        }

        int value = 0;
        foreach (byte b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return null;
            }

            value = (value * 10) + (b - '0');
        }

        return value;
    }

    /// <summary>Fields each preceded by exactly one space: "PROXY" is already behind, so the line continues " TCP4 ...".</summary>
    private ref struct FieldReader(ReadOnlySpan<byte> rest)
    {
        private ReadOnlySpan<byte> _rest = rest;

        public readonly bool AtEnd => _rest.IsEmpty;

        public bool Next(out ReadOnlySpan<byte> field)
        {
            field = default;
            if (_rest.IsEmpty || _rest[0] != (byte)' ')
            {
                return false;
            }

            _rest = _rest[1..];
            int space = _rest.IndexOf((byte)' ');
            field = space < 0 ? _rest : _rest[..space];
            _rest = space < 0 ? [] : _rest[space..];
            return !field.IsEmpty;
        }
    }
}
