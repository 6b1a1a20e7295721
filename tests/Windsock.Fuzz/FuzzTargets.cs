using System.Text;
using Windsock.Client.Routing;
using Windsock.Protocol;
using Windsock.Protocol.Gssapi;
using Windsock.Protocol.Ident;
using Windsock.Protocol.Probes;
using Windsock.Protocol.ProxyProtocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.UsernamePassword;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;

namespace Windsock.Fuzz;

/// <summary>
/// One fuzz target per parser a peer or an administrator can feed: wire messages (from clients, servers,
/// identd, ICMP from the network, the admin listener's HTTP requests), the text files (configuration, client
/// routing, users, groups) and the keytab; and two at session level, the
/// server's whole handshake and the client library's, over loopback with the input cut where it says. Each takes one input and
/// throws only when a rule broke: a wire parser may throw nothing at all; a file parser only its own
/// exception, with a position.
/// </summary>
public static class FuzzTargets
{
    /// <summary>Every target by name: the directory name of its corpus under corpus/, and the argument of the driver.</summary>
    public static IReadOnlyDictionary<string, Action<ReadOnlyMemory<byte>>> All { get; } = new Dictionary<string, Action<ReadOnlyMemory<byte>>>(StringComparer.Ordinal)
    {
        ["socks4-request"] = input => StreamParsing.Check<Socks4Request>(input.Span, Socks4Request.TryParse, SocksLimits.MaxSocks4RequestLength),
        ["socks4-reply"] = input => StreamParsing.Check<Socks4Reply>(input.Span, Socks4Reply.TryParse, Socks4Reply.Length),
        ["socks5-greeting"] = input => StreamParsing.Check<Socks5Greeting>(input.Span, Socks5Greeting.TryParse, SocksLimits.MaxSocks5GreetingLength),
        ["socks5-method-selection"] = input => StreamParsing.Check<byte>(input.Span, Socks5MethodSelection.TryParse, Socks5MethodSelection.Length),
        ["socks5-request"] = input => StreamParsing.Check<Socks5Request>(input.Span, Socks5Request.TryParse, SocksLimits.MaxSocks5RequestLength),
        ["socks5-reply"] = input => StreamParsing.Check<Socks5Reply>(input.Span, Socks5Reply.TryParse, SocksLimits.MaxSocks5RequestLength),
        ["socks5-denial-reason"] = input => StreamParsing.Check<string>(input.Span, DenialReason.TryParse, DenialReason.MaxLength),
        ["socks5-udp-header"] = input => UdpHeader(input.Span),
        ["rfc1929-request"] = input => StreamParsing.Check<UsernamePasswordRequest>(input.Span, UsernamePasswordRequest.TryParse, SocksLimits.MaxUsernamePasswordRequestLength),
        ["rfc1929-reply"] = input => StreamParsing.Check<bool>(input.Span, UsernamePasswordReply.TryParse, UsernamePasswordReply.Length),
        ["rfc1961-message"] = input => StreamParsing.Check<GssapiMessage>(input.Span, GssapiMessage.TryParse, GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength),
        ["proxy-protocol-header"] = input => StreamParsing.Check<ProxyHeader>(input.Span, ProxyHeader.TryParse, ProxyHeader.MaxLength),
        ["kerberos-ticket-name"] = input => KerberosTicketName.TryRead(input.Span, out _, out _),
        ["ident-reply"] = input => StreamParsing.Check<IdentReply>(input.Span, IdentReply.TryParse, IdentReply.MaxLineLength),
        ["probe-line"] = input => ProbeLineRoundTrip(input.Span),
        ["icmp-echo"] = IcmpEchoTarget.Run,
        ["http-request-head"] = HttpRequestHeadTarget.Run,
        ["keytab"] = KeytabTarget.Run,
        ["config"] = input => TextFile<ConfigException>(input.Span, text => ConfigLoader.Parse(text, "fuzz.toml")),
        ["routing-file"] = input => TextFile<RoutingFileException>(input.Span, text => Router.Parse(text, "fuzz-routes.toml")),
        ["users-file"] = input => TextFile<ConfigException>(input.Span, text => UserFile.Parse(text, "fuzz-users")),
        ["groups-file"] = input => TextFile<ConfigException>(input.Span, text => GroupFile.Parse(text, "fuzz-groups")),
        ["session-handshake"] = SessionTargets.ServerHandshake,
        ["client-replies"] = ClientTargets.ReplyParsing,
    };

    /// <summary>
    /// A UDP header is read from a whole datagram, never a stream: Done takes at most the datagram, and the
    /// header it read is what the address says it is.
    /// </summary>
    private static void UdpHeader(ReadOnlySpan<byte> datagram)
    {
        var result = Socks5UdpHeader.TryParse(datagram, out var header);
        if (result.IsDone)
        {
            FuzzFailure.Unless(result.Consumed <= datagram.Length && result.Consumed <= SocksLimits.MaxSocks5UdpHeaderLength, $"the header claims {result.Consumed} bytes of {datagram.Length}");
            // An IPv4-mapped IPv6 address (ATYP 4, ::ffff:a.b.c.d) is read as the IPv4 address it stands for, so
            // rules see one form; written again it takes 12 bytes less. Everywhere else the header re-encodes to
            // exactly what was read. (Payloads are always cut at Consumed, never at EncodedLength.)
            int mapped = datagram[3] == 0x04 && header.Address.Type == AddressType.IPv4 ? 12 : 0;
            FuzzFailure.Unless(result.Consumed == header.EncodedLength + mapped, $"consumed {result.Consumed}, but the header encodes in {header.EncodedLength}");
        }
        else if (result.IsError)
        {
            FuzzFailure.Unless(result.Error != ProtocolError.None, "an error without a reason");
        }
    }

    /// <summary>
    /// A PING / TRACEROUTE line (results and options share the grammar): the stream rules, and a line that parsed
    /// writes back to text that parses to the same line; read as options it gives options or a reason, nothing else.
    /// </summary>
    private static void ProbeLineRoundTrip(ReadOnlySpan<byte> input)
    {
        StreamParsing.Check<string?>(input, ParseProbeLine, ProbeLine.MaxLength);
        if (ProbeLine.TryParse(input, out var line).IsDone)
        {
            var again = Encoding.ASCII.GetBytes(line!.ToString());
            FuzzFailure.Unless(ProbeLine.TryParse(again, out var reparsed).IsDone && reparsed!.ToString() == line.ToString(), $"'{line}' does not read back as itself");
            foreach (bool traceroute in (bool[])[false, true])
            {
                FuzzFailure.Unless((ProbeOptions.TryParse(line, traceroute, out var problem) is null) == (problem is not null), "options without a verdict");
            }
        }
    }

    private static ParseResult ParseProbeLine(ReadOnlySpan<byte> input, out string? text)
    {
        var result = ProbeLine.TryParse(input, out var line);
        text = line?.ToString();
        return result;
    }

    /// <summary>A text file: any bytes as UTF-8 (invalid sequences replaced, as File.ReadAllText does); only the file's own error may come out.</summary>
    private static void TextFile<TError>(ReadOnlySpan<byte> input, Action<string> parse)
        where TError : Exception
    {
        var text = Encoding.UTF8.GetString(input);
        try
        {
            parse(text);
        }
        catch (TError e)
        {
            FuzzFailure.Unless(!string.IsNullOrWhiteSpace(e.Message), "an error without a message");
        }
    }
}
