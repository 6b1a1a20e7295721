using System.Buffers;
using System.Net;
using System.Net.Security;
using Windsock.Client.Gssapi;
using Windsock.Protocol;
using Windsock.Protocol.Gssapi;

namespace Windsock.Client.Handshake;

/// <summary>
/// The client side of RFC 1961 after the proxy chose method X'01': security context establishment
/// (section 3), protection-level negotiation (section 4), and from then on, when the level protects,
/// a <see cref="GssapiStream"/> in place of the connection's stream (section 5). Every message is
/// <code>
/// +------+------+------+.......................+
/// + ver  | mtyp | len  |       token           |
/// +------+------+------+.......................+
/// + 0x01 | 0x01 | 0x02 | up to 2^16 - 1 octets |
/// +------+------+------+.......................+
/// </code>
/// or the two-octet abort (VER, MTYP X'FF').
/// </summary>
internal static class GssapiHandshake
{
    /// <summary>.NET's name for the raw Kerberos mechanism: its tokens are what MIT, Heimdal and Dante accept (not SPNEGO).</summary>
    private const string Package = "Kerberos";

    public static async ValueTask NegotiateAsync(ProxyConnection connection, HopContext hop, SocksGssapiOptions options, CancellationToken cancellationToken)
    {
        string target = options.TargetFor(hop.Hop.Host);
        var context = new NegotiateAuthentication(new NegotiateAuthenticationClientOptions
        {
            Package = Package,
            TargetName = target,
            Credential = options.Credential ?? CredentialCache.DefaultNetworkCredentials,
            // Asks for a context that can wrap with confidentiality; whether data is wrapped at all is
            // decided by the protection level below. Mutual: the proxy proves it is the service named.
            RequiredProtectionLevel = ProtectionLevel.EncryptAndSign,
            RequireMutualAuthentication = true,
        });
        var stream = connection.Stream;
        byte[] frame = ArrayPool<byte>.Shared.Rent(GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength);
        bool handedOver = false;
        try
        {
            await EstablishAsync(stream, hop, context, target, frame, cancellationToken).ConfigureAwait(false);
            ClientTrace.Write(hop, $"method: GSSAPI, security context with {target} established (Kerberos, mutual)");

            var granted = await NegotiateProtectionAsync(stream, hop, context, options, target, frame, cancellationToken).ConfigureAwait(false);
            ClientTrace.Write(hop, $"GSSAPI protection: asked for {GssapiLevels.Name(options.Protection)}, granted {granted.ToString().ToLowerInvariant()}");
            if (granted != GssapiProtectionLevel.Clear)
            {
                connection.Stream = new GssapiStream(stream, connection.Socket, new GssapiSession(context, granted, options.WireProtection));
                handedOver = true;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame, clearArray: true);
            if (!handedOver)
            {
                context.Dispose();
            }
        }
    }

    /// <summary>Context tokens both ways (MTYP 1) until this side's context is complete.</summary>
    private static async ValueTask EstablishAsync(Stream stream, HopContext hop, NegotiateAuthentication context, string target, byte[] frame, CancellationToken cancellationToken)
    {
        const string During = "GSSAPI context establishment";
        byte[]? token = context.GetOutgoingBlob(ReadOnlySpan<byte>.Empty, out var status);
        while (true)
        {
            if (status is not (NegotiateAuthenticationStatusCode.Completed or NegotiateAuthenticationStatusCode.ContinueNeeded))
            {
                // RFC 1961: a side whose gss_init_sec_context fails tells the other with an abort.
                await SendAbortAsync(stream, frame, cancellationToken).ConfigureAwait(false);
                throw hop.GssapiFailed(target, status, During);
            }

            if (token is { Length: > 0 })
            {
                if (token.Length > GssapiMessage.MaxTokenLength)
                {
                    throw hop.GssapiFailed(target, NegotiateAuthenticationStatusCode.GenericFailure, $"{During} (a {token.Length}-byte token does not fit RFC 1961's 16-bit length)");
                }

                int length = GssapiMessage.Write(frame, GssapiMessageType.ContextToken, token);
                await SocketIo.SendAllAsync(stream, frame.AsMemory(0, length), hop, During, cancellationToken).ConfigureAwait(false);
            }

            if (status == NegotiateAuthenticationStatusCode.Completed)
            {
                return;
            }

            var message = await ReadMessageAsync(stream, hop, frame, During, cancellationToken).ConfigureAwait(false);
            if (message.Type != GssapiMessageType.ContextToken)
            {
                throw hop.Violation($"it sent GSSAPI message type {(byte)message.Type} during context establishment, not 1");
            }

            token = context.GetOutgoingBlob(message.TokenIn(frame), out status);
        }
    }

    /// <summary>
    /// This side's level, wrapped with integrity only (conf_req_flag false), and the proxy's answer: the
    /// level it grants, never below what the caller requires. NEC style (SendProtectionLevelUnwrapped) sends and expects the octet unwrapped.
    /// </summary>
    private static async ValueTask<GssapiProtectionLevel> NegotiateProtectionAsync(
        Stream stream, HopContext hop, NegotiateAuthentication context, SocksGssapiOptions options, string target, byte[] frame, CancellationToken cancellationToken)
    {
        const string During = "GSSAPI protection-level negotiation";
        ReadOnlySpan<byte> level = [(byte)options.WireProtection];
        int length;
        if (options.SendProtectionLevelUnwrapped)
        {
            length = GssapiMessage.Write(frame, GssapiMessageType.ProtectionLevel, level);
        }
        else
        {
            using var wrapped = new GssapiFrameBuffer();
            wrapped.Begin();
            var status = context.Wrap(level, wrapped, requestEncryption: false, out _);
            if (status != NegotiateAuthenticationStatusCode.Completed)
            {
                throw hop.GssapiFailed(target, status, During);
            }

            _ = wrapped.End(GssapiMessageType.ProtectionLevel); // one octet's wrap token is far below LEN's limit
            length = wrapped.Written.Length;
            wrapped.Written.Span.CopyTo(frame);
        }

        await SocketIo.SendAllAsync(stream, frame.AsMemory(0, length), hop, During, cancellationToken).ConfigureAwait(false);

        var message = await ReadMessageAsync(stream, hop, frame, During, cancellationToken).ConfigureAwait(false);
        if (message.Type != GssapiMessageType.ProtectionLevel)
        {
            throw hop.Violation($"it sent GSSAPI message type {(byte)message.Type} during protection-level negotiation, not 2");
        }

        var token = frame.AsSpan(GssapiMessage.HeaderLength, message.TokenLength);
        ReadOnlySpan<byte> answer = token;
        if (!options.SendProtectionLevelUnwrapped)
        {
            var status = context.UnwrapInPlace(token, out int offset, out int plain, out _);
            if (status != NegotiateAuthenticationStatusCode.Completed)
            {
                throw hop.GssapiFailed(target, status, $"{During} (its answer did not unwrap; a proxy in NEC style sends it unwrapped)");
            }

            answer = token.Slice(offset, plain);
        }

        if (answer.Length != 1)
        {
            throw hop.Violation($"its protection-level answer is {answer.Length} octets, not 1");
        }

        var granted = (GssapiProtectionLevel)answer[0];
        if (granted > GssapiProtectionLevel.Selective)
        {
            throw hop.Violation($"it granted protection level {answer[0]}, which RFC 1961 does not define");
        }

        if (granted < options.WireProtection)
        {
            await SendAbortAsync(stream, frame, cancellationToken).ConfigureAwait(false);
            throw hop.InsufficientProtection(granted, options.WireProtection);
        }

        return granted;
    }

    /// <summary>One whole message into <paramref name="frame"/>; an abort from the proxy is thrown as <see cref="SocksErrorKind.GssapiAborted"/>.</summary>
    private static async ValueTask<GssapiMessage> ReadMessageAsync(Stream stream, HopContext hop, byte[] frame, string during, CancellationToken cancellationToken)
    {
        int read = await SocketIo.ReceiveExactlyAsync(stream, frame.AsMemory(0, 2), hop, during, cancellationToken).ConfigureAwait(false);
        if (read == 2 && frame[0] == GssapiMessage.Version && frame[1] == (byte)GssapiMessageType.Abort)
        {
            throw hop.GssapiAborted(during);
        }

        if (read == 2)
        {
            read += await SocketIo.ReceiveExactlyAsync(stream, frame.AsMemory(2, GssapiMessage.HeaderLength - 2), hop, during, cancellationToken).ConfigureAwait(false);
        }

        if (read == GssapiMessage.HeaderLength)
        {
            int length = (frame[2] << 8) | frame[3];
            read += await SocketIo.ReceiveExactlyAsync(stream, frame.AsMemory(GssapiMessage.HeaderLength, length), hop, during, cancellationToken).ConfigureAwait(false);
        }

        var parsed = GssapiMessage.TryParse(frame.AsSpan(0, read), out var message);
        if (parsed.IsError)
        {
            throw hop.Violation(parsed.Error == ProtocolError.UnsupportedVersion
                ? $"its GSSAPI message starts with 0x{frame[0]:X2}, not version 1"
                : $"its GSSAPI message has type 0x{frame[1]:X2}");
        }

        return parsed.IsDone && parsed.Consumed == read ? message : throw hop.Closed(during);
    }

    /// <summary>Best effort: the connection is given up either way.</summary>
    private static async ValueTask SendAbortAsync(Stream stream, byte[] frame, CancellationToken cancellationToken)
    {
        try
        {
            int length = GssapiMessage.WriteAbort(frame);
            await stream.WriteAsync(frame.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
        }
    }
}
