using System.Net;
using Windsock.Protocol;
using Windsock.Protocol.ProxyProtocol;
using Windsock.Server.Logging;

namespace Windsock.Server.Sessions.Steps;

/// <summary>
/// The first step after accept: a connection from a balancer (server.proxy_protocol_from) must open with a
/// PROXY protocol header, v1 or v2, and from then on the client it names is the session's client. The
/// specification forbids guessing (proxy-protocol.txt section 2: "MUST not try to guess whether the protocol
/// header is present"): a balancer connection without a valid header is refused, and a header from anyone
/// else never passes for SOCKS (<see cref="NotSocks"/> says why it was refused and logs the attempt).
/// </summary>
internal static class ProxyHeaderStep
{
    /// <summary>Reads the header when the peer is a balancer; false when the session ends here (the record says why).</summary>
    public static async Task<bool> RunAsync(HandshakeReader reader, SessionRecord record, SessionContext context, CancellationToken shutdown)
    {
        if (!context.Balancers.Contains(record.Client.Address))
        {
            return true;
        }

        var balancer = record.Client;
        var timeout = context.Options.NegotiationTimeout;
        using var deadline = new CancellationTokenSource(timeout, context.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, shutdown);
        ProxyHeader header;
        try
        {
            header = await reader.ReadAsync<ProxyHeader>(ProxyHeader.TryParse, linked.Token).ConfigureAwait(false);
        }
        catch (SocksProtocolException e)
        {
            return Refuse(record, context, balancer, $"no valid PROXY protocol header ({Describe(e.Error)})");
        }
        catch (PeerClosedException)
        {
            // A plain TCP health check connects and closes without a byte: that is no refusal worth a warning.
            record.EndReason = reader.Leftover.IsEmpty
                ? "balancer closed before sending a PROXY header (a TCP health check)"
                : "balancer closed in the middle of the PROXY header";
            return false;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !shutdown.IsCancellationRequested)
        {
            return Refuse(record, context, balancer, $"no PROXY protocol header within negotiation_timeout ({timeout.TotalSeconds:0.#}s)");
        }

        if (header.Command == ProxyHeaderCommand.Local)
        {
            // The balancer's own connection (v2 LOCAL, a health check with check-send-proxy): it relays nobody to serve.
            record.EndReason = "balancer health check (PROXY LOCAL)";
            return false;
        }

        if (header.Source is not { } source)
        {
            // v1 UNKNOWN, v2 AF_UNSPEC/AF_UNIX: serving it as the balancer itself would hand a stranger the balancer's rights.
            return Refuse(record, context, balancer, "the PROXY header relays a client without naming its address (v1 UNKNOWN or a v2 family other than IPv4/IPv6)");
        }

        record.ArrivedThrough(Canonical(source), header.Destination is { } frontend ? Canonical(frontend) : null, header.UniqueId);
        return true;
    }

    /// <summary>
    /// The end reason for a first byte that is no SOCKS version: a PROXY header from a peer that is not a
    /// configured balancer is named as such, and logged as a warning; anything else keeps the plain wording.
    /// </summary>
    public static string NotSocks(HandshakeReader reader, SessionRecord record, SessionContext context, byte first)
    {
        if (!ProxyHeader.LooksLikeHeader(reader.Leftover.Span))
        {
            return $"not SOCKS (first byte 0x{first:X2})";
        }

        BalancerLog.StrayHeader(context.Logger, record.Id, record.Client);
        return "PROXY protocol header from a client not in server.proxy_protocol_from: refused";
    }

    private static bool Refuse(SessionRecord record, SessionContext context, IPEndPoint balancer, string detail)
    {
        record.EndReason = "balancer refused: " + detail;
        BalancerLog.Refused(context.Logger, record.Id, balancer, detail);
        return false;
    }

    /// <summary>IPv4 clients named in IPv6 form (::ffff:a.b.c.d) are the IPv4 address, so rules and limits see one form.</summary>
    private static IPEndPoint Canonical(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private static string Describe(ProtocolError error) => error switch
    {
        ProtocolError.NotProxyHeader => "the connection does not start with \"PROXY \" or the v2 signature; is send-proxy-v2 set on the balancer's server line?",
        ProtocolError.ProxyHeaderTooLong => $"longer than {ProxyHeader.MaxLength} bytes (v2) or without CRLF in {ProxyHeader.MaxV1Length} (v1)",
        ProtocolError.InvalidProxyHeader => "not in the specification's exact form",
        ProtocolError.UnsupportedProxyCommand => "a v2 command other than LOCAL or PROXY",
        ProtocolError.UnsupportedProxyFamily => "a v2 address family or transport the specification does not define",
        ProtocolError.ProxyAddressesTruncated => "the v2 length is shorter than the addresses",
        ProtocolError.InvalidProxyTlv => "a v2 TLV runs past the end of the header",
        ProtocolError.ProxyChecksumMismatch => "the v2 CRC32C does not match",
        _ => error.ToString(),
    };
}
