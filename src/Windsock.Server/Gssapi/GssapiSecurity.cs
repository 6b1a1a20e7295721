using System.Buffers;
using System.Net.Security;
using Windsock.Protocol.Gssapi;

namespace Windsock.Server.Gssapi;

/// <summary>
/// The per-message protection of one session after RFC 1961 negotiation granted integrity, confidentiality or
/// selective: every message from the client is unwrapped and every message to it wrapped, with the established
/// GSSAPI context. Sessions in clear mode have none, and keep the plain path.
/// </summary>
/// <remarks>
/// The relay wraps on one thread while it unwraps on another. NegotiateAuthentication is not documented as
/// safe for that, and MIT krb5 derives and caches per-usage keys lazily without a lock, so one lock serialises
/// the two; a wrap or unwrap takes microseconds next to the socket work around it.
/// </remarks>
internal sealed class GssapiSecurity : IDisposable
{
    /// <summary>
    /// The most plaintext put in one message: a wrapped token must fit LEN's 65535 octets, and Kerberos adds
    /// a header, a confounder, padding and a checksum (under 100 octets for every enctype MIT offers). 4 KiB
    /// of margin covers them all with room to spare.
    /// </summary>
    public const int MaxPlaintextPerMessage = GssapiMessage.MaxTokenLength - 4096;

    private readonly NegotiateAuthentication _context;
    private readonly Lock _gate = new();
    private byte[] _pendingInput = [];
    private bool _disposed;

    public GssapiSecurity(NegotiateAuthentication context, GssapiProtectionLevel level)
    {
        _context = context;
        Level = level;
    }

    public GssapiProtectionLevel Level { get; }

    /// <summary>
    /// Whether the server encrypts what it sends: at confidentiality always; at selective too (RFC 1961 leaves
    /// the choice per message to local configuration, and the stronger choice costs little); at integrity never.
    /// </summary>
    public bool Encrypts => Level != GssapiProtectionLevel.Integrity;

    /// <summary>Raw frames the client sent behind its request, not yet unwrapped; the relay starts with them.</summary>
    public ReadOnlyMemory<byte> PendingInput => _pendingInput;

    public void AddPendingInput(ReadOnlySpan<byte> frames)
    {
        if (!frames.IsEmpty)
        {
            _pendingInput = [.. _pendingInput, .. frames];
        }
    }

    public void ClearPendingInput() => _pendingInput = [];

    /// <summary>Wraps <paramref name="data"/> (at most <see cref="MaxPlaintextPerMessage"/> bytes) into one MTYP 3 frame in <paramref name="frame"/>.</summary>
    public void WrapFrame(ReadOnlySpan<byte> data, GssapiFrameBuffer frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        frame.Begin();
        NegotiateAuthenticationStatusCode status;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            status = _context.Wrap(data, frame, Encrypts, out _);
        }

        if (status != NegotiateAuthenticationStatusCode.Completed)
        {
            throw new GssapiFailureException($"gssapi: wrap failed: {status}");
        }

        if (!frame.End(GssapiMessageType.Encapsulated))
        {
            throw new GssapiFailureException($"gssapi: a wrapped message of {data.Length} bytes does not fit in one RFC 1961 token");
        }
    }

    /// <summary>
    /// Unwraps one token into <paramref name="plain"/> (cleared first). Returns null, or why the message is
    /// refused: altered, out of sequence, or not encrypted where the level requires it. The content of a refused
    /// message must not be used; the caller ends the session.
    /// </summary>
    public string? Unwrap(ReadOnlySpan<byte> token, GssapiFrameBuffer plain)
    {
        ArgumentNullException.ThrowIfNull(plain);
        plain.Clear();
        NegotiateAuthenticationStatusCode status;
        bool encrypted;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            status = _context.Unwrap(token, plain, out encrypted);
        }

        if (status != NegotiateAuthenticationStatusCode.Completed)
        {
            return status switch
            {
                NegotiateAuthenticationStatusCode.MessageAltered => "gssapi: tampered message: MessageAltered",
                NegotiateAuthenticationStatusCode.OutOfSequence => "gssapi: message out of sequence (replayed, reordered or lost): OutOfSequence",
                _ => $"gssapi: cannot unwrap a message: {status}",
            };
        }

        if (Level == GssapiProtectionLevel.Confidentiality && !encrypted)
        {
            // RFC 1961 section 5: at level 2 conf_req_flag MUST be TRUE; integrity alone is a downgrade.
            return "gssapi: a message was not encrypted, but the session's level is confidentiality";
        }

        return null;
    }

    /// <summary>Wraps the protection-level octet as RFC 1961 section 4 asks: integrity only (conf_req_flag FALSE).</summary>
    public static byte[]? WrapLevel(NegotiateAuthentication context, GssapiProtectionLevel level)
    {
        ArgumentNullException.ThrowIfNull(context);
        var output = new ArrayBufferWriter<byte>(128);
        return context.Wrap([(byte)level], output, requestEncryption: false, out _) == NegotiateAuthenticationStatusCode.Completed
            ? output.WrittenSpan.ToArray()
            : null;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                _context.Dispose();
            }
        }
    }
}
