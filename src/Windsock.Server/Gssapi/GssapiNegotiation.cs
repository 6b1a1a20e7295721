using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using Windsock.Protocol.Gssapi;
using Windsock.Server.Configuration;
using Windsock.Server.Sessions;

namespace Windsock.Server.Gssapi;

/// <summary>
/// The server's side of RFC 1961 after the method selection picked X'01': context establishment (MTYP 1
/// tokens both ways until the context is complete), then protection-level negotiation (MTYP 2). The
/// context is .NET's NegotiateAuthentication over the system's GSSAPI library (MIT krb5), Kerberos only.
/// </summary>
internal static class GssapiNegotiation
{
    // Kerberos needs one round (two with mutual authentication's reply); anything near this is a confused peer.
    private const int MaxRounds = 8;

    /// <summary>
    /// Runs both steps. On success the record names the principal and the level, and the result is the
    /// session's per-message protection, or null for clear mode (the plain path from here on). On failure the
    /// client has been sent an abort where the RFC wants one, and a <see cref="GssapiFailureException"/> says why.
    /// </summary>
    public static async Task<GssapiSecurity?> RunAsync(HandshakeReader reader, Socket client, SessionRecord record, GssapiOptions options, CancellationToken cancellationToken)
    {
        var context = new NegotiateAuthentication(new NegotiateAuthenticationServerOptions { Package = "Kerberos" });
        try
        {
            await EstablishAsync(reader, client, context, options, cancellationToken).ConfigureAwait(false);
            record.User = context.RemoteIdentity.Name;
            var level = await NegotiateLevelAsync(reader, client, context, options, cancellationToken).ConfigureAwait(false);
            record.Protection = GssapiLevelNames.Name(level);
            if (level == GssapiProtectionLevel.Clear)
            {
                // Dante's clear mode: authenticated, then unprotected. The context has nothing more to do.
                context.Dispose();
                return null;
            }

            var security = new GssapiSecurity(context, level);
            context = null;
            return security;
        }
        finally
        {
            context?.Dispose();
        }
    }

    private static async Task EstablishAsync(HandshakeReader reader, Socket client, NegotiateAuthentication context, GssapiOptions options, CancellationToken cancellationToken)
    {
        for (int round = 1; ; round++)
        {
            var (message, token) = await ReadAsync(reader, client, cancellationToken).ConfigureAwait(false);
            if (message.Type == GssapiMessageType.Abort)
            {
                throw new GssapiFailureException("gssapi: client aborted the context establishment (MTYP 0xFF; its GSS-API library failed: no ticket, an expired one, or the KDC refused)");
            }

            if (message.Type != GssapiMessageType.ContextToken)
            {
                await AbortAsync(client, cancellationToken).ConfigureAwait(false);
                throw new GssapiFailureException($"gssapi: expected a context token (MTYP 1), got MTYP {(byte)message.Type}");
            }

            if (token.IsEmpty)
            {
                await AbortAsync(client, cancellationToken).ConfigureAwait(false);
                throw new GssapiFailureException("gssapi: empty context token");
            }

            if (round == 1 && options.ServicePrincipal is { } required && !KerberosTicketName.TryRead(token.Span, out _, out _))
            {
                // Fail closed: a token whose service cannot be read would skip the check below, and the acceptor
                // takes any key in the keytab.
                await AbortAsync(client, cancellationToken).ConfigureAwait(false);
                throw new GssapiFailureException($"gssapi: the client's first token is not a Kerberos ticket whose service can be read, and this server only accepts {required}");
            }

            if (round == 1 && options.ServicePrincipal is { } expected && KerberosTicketName.TryRead(token.Span, out var service, out var realm)
                && !ServicePrincipalMatches(expected, service, realm))
            {
                // Refused before the acceptor sees it: the keytab may hold other services' keys.
                await AbortAsync(client, cancellationToken).ConfigureAwait(false);
                throw new GssapiFailureException($"gssapi: the client's ticket is for {service}@{realm}, but this server is {expected} (a wrong service name on the client?)");
            }

            var reply = context.GetOutgoingBlob(token.Span, out var status);
            if (status is not (NegotiateAuthenticationStatusCode.Completed or NegotiateAuthenticationStatusCode.ContinueNeeded))
            {
                await AbortAsync(client, cancellationToken).ConfigureAwait(false);
                throw new GssapiFailureException($"gssapi: context failed: {status}{Hint(status, token.Span)}");
            }

            if (reply is { Length: > 0 })
            {
                await SendAsync(client, GssapiMessageType.ContextToken, reply, cancellationToken).ConfigureAwait(false);
            }

            if (status == NegotiateAuthenticationStatusCode.Completed)
            {
                return;
            }

            if (round >= MaxRounds)
            {
                await AbortAsync(client, cancellationToken).ConfigureAwait(false);
                throw new GssapiFailureException($"gssapi: no context after {MaxRounds} rounds");
            }
        }
    }

    private static async Task<GssapiProtectionLevel> NegotiateLevelAsync(HandshakeReader reader, Socket client, NegotiateAuthentication context, GssapiOptions options, CancellationToken cancellationToken)
    {
        var (message, token) = await ReadAsync(reader, client, cancellationToken).ConfigureAwait(false);
        if (message.Type == GssapiMessageType.Abort)
        {
            throw new GssapiFailureException("gssapi: client aborted the protection-level negotiation (MTYP 0xFF)");
        }

        if (message.Type != GssapiMessageType.ProtectionLevel)
        {
            await AbortAsync(client, cancellationToken).ConfigureAwait(false);
            throw new GssapiFailureException($"gssapi: expected the protection level (MTYP 2), got MTYP {(byte)message.Type}");
        }

        // A wrapped token is never one octet long, so a single octet is the NEC reference implementation's
        // unprotected form (curl --socks5-gssapi-nec), answered in kind.
        bool nec = token.Length == 1;
        byte asked;
        if (nec)
        {
            asked = token.Span[0];
        }
        else
        {
            var plain = new ArrayBufferWriter<byte>(16);
            var status = context.Unwrap(token.Span, plain, out _);
            if (status != NegotiateAuthenticationStatusCode.Completed || plain.WrittenCount != 1)
            {
                await AbortAsync(client, cancellationToken).ConfigureAwait(false);
                throw new GssapiFailureException(status != NegotiateAuthenticationStatusCode.Completed
                    ? $"gssapi: cannot unwrap the protection level: {status}"
                    : $"gssapi: the protection level is {plain.WrittenCount} octets, not 1");
            }

            asked = plain.WrittenSpan[0];
        }

        if (asked > (byte)GssapiProtectionLevel.Selective)
        {
            await AbortAsync(client, cancellationToken).ConfigureAwait(false);
            throw new GssapiFailureException($"gssapi: client asked for protection level 0x{asked:X2}, which RFC 1961 does not define");
        }

        var wanted = (GssapiProtectionLevel)asked;
        if (ProtectionGrant.Choose(wanted, options.Protection) is not { } granted)
        {
            await AbortAsync(client, cancellationToken).ConfigureAwait(false);
            throw new GssapiFailureException($"gssapi: client asked for protection {GssapiLevelNames.Name(wanted)}; this server accepts {GssapiLevelNames.List(options.Protection)}");
        }

        byte[]? answer = nec ? [(byte)granted] : GssapiSecurity.WrapLevel(context, granted);
        if (answer is null)
        {
            await AbortAsync(client, cancellationToken).ConfigureAwait(false);
            throw new GssapiFailureException("gssapi: cannot wrap the protection level");
        }

        await SendAsync(client, GssapiMessageType.ProtectionLevel, answer, cancellationToken).ConfigureAwait(false);
        return granted;
    }

    /// <summary>
    /// One message of the negotiation. A frame that is not RFC 1961 (another VER, an unknown MTYP) is a failed
    /// negotiation like any other: the client gets its abort and the session a reason, not "internal error".
    /// </summary>
    private static async ValueTask<(GssapiMessage Message, ReadOnlyMemory<byte> Token)> ReadAsync(HandshakeReader reader, Socket client, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadGssapiMessageAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocksProtocolException e)
        {
            await AbortAsync(client, cancellationToken).ConfigureAwait(false);
            throw new GssapiFailureException($"gssapi: not an RFC 1961 message: {e.Error}");
        }
        catch (HandshakeLimitException e)
        {
            await AbortAsync(client, cancellationToken).ConfigureAwait(false);
            throw new GssapiFailureException($"gssapi: {e.Message}");
        }
    }

    /// <summary>"rcmd/host" matches the ticket's service in any realm; "rcmd/host@REALM" in that realm only.</summary>
    private static bool ServicePrincipalMatches(string expected, string service, string realm)
    {
        int at = expected.IndexOf('@', StringComparison.Ordinal);
        return at < 0
            ? string.Equals(expected, service, StringComparison.Ordinal)
            : string.Equals(expected, $"{service}@{realm}", StringComparison.Ordinal);
    }

    /// <summary>What a bare status leaves out: for whom the ticket was, which is usually the mistake.</summary>
    private static string Hint(NegotiateAuthenticationStatusCode status, ReadOnlySpan<byte> token) =>
        KerberosTicketName.TryRead(token, out var service, out var realm)
            ? $" (ticket for {service}@{realm}{(status == NegotiateAuthenticationStatusCode.GenericFailure ? "; is that principal's key in the keytab?" : "")})"
            : " (not a Kerberos initial token)";

    private static async Task SendAsync(Socket client, GssapiMessageType type, ReadOnlyMemory<byte> token, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(GssapiMessage.HeaderLength + token.Length);
        try
        {
            int length = GssapiMessage.Write(buffer, type, token.Span);
            await client.SendAsync(buffer.AsMemory(0, length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>RFC 1961: "VER 1, MTYP 0xFF" and the connection closes. Best effort: the client may be gone.</summary>
    public static async Task AbortAsync(Socket client, CancellationToken cancellationToken)
    {
        var abort = new byte[2];
        GssapiMessage.WriteAbort(abort);
        try
        {
            await client.SendAsync(abort, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
        }
    }
}
