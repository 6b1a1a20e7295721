using System.Net.Security;
using Windsock.Protocol.Gssapi;

namespace Windsock.Client.Gssapi;

/// <summary>
/// An established security context and the protection the proxy granted: per-message wrap and unwrap
/// for the TCP stream and the UDP datagrams of one hop. MIT's context (and .NET's wrapper) is not made
/// for concurrent use, and a stream reads and writes at once, so every call takes one lock; wrapping is
/// short and CPU-bound.
/// </summary>
internal sealed class GssapiSession : IDisposable
{
    private readonly NegotiateAuthentication _context;
    private readonly Lock _lock = new();
    private bool _disposed;

    public GssapiSession(NegotiateAuthentication context, GssapiProtectionLevel granted, GssapiProtectionLevel required)
    {
        _context = context;
        Granted = granted;

        // Selective lets each message choose; this side always encrypts then. Incoming messages must be
        // encrypted when confidentiality was granted, or when the caller required it (under selective).
        EncryptsWrites = granted >= GssapiProtectionLevel.Confidentiality;
        RequiresEncryptedReads = granted == GssapiProtectionLevel.Confidentiality || required == GssapiProtectionLevel.Confidentiality;
    }

    public GssapiProtectionLevel Granted { get; }

    public bool EncryptsWrites { get; }

    public bool RequiresEncryptedReads { get; }

    /// <summary>Appends the wrap token of <paramref name="plaintext"/> to <paramref name="frame"/> and seals it as an encapsulated message.</summary>
    /// <returns>False when the token would not fit one message (the caller wraps less at a time).</returns>
    /// <exception cref="IOException">gss_wrap failed, or the context is gone.</exception>
    public bool TryWrap(ReadOnlySpan<byte> plaintext, GssapiFrameBuffer frame)
    {
        frame.Begin();
        NegotiateAuthenticationStatusCode status;
        bool encrypted;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            status = _context.Wrap(plaintext, frame, EncryptsWrites, out encrypted);
        }

        if (status != NegotiateAuthenticationStatusCode.Completed)
        {
            throw new IOException($"GSSAPI could not wrap a message: {status}.");
        }

        if (EncryptsWrites && !encrypted)
        {
            throw new IOException("GSSAPI wrapped a message without encrypting it although confidentiality was granted.");
        }

        return frame.End(GssapiMessageType.Encapsulated);
    }

    /// <summary>Unwraps <paramref name="token"/> in place; the plaintext is <c>token.Slice(offset, length)</c>.</summary>
    /// <returns>Null on success, else why the message is refused (tampered, replayed, or not encrypted when it had to be).</returns>
    public string? TryUnwrapInPlace(Span<byte> token, out int offset, out int length)
    {
        NegotiateAuthenticationStatusCode status;
        bool encrypted;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            status = _context.UnwrapInPlace(token, out offset, out length, out encrypted);
        }

        if (status != NegotiateAuthenticationStatusCode.Completed)
        {
            return $"a message did not unwrap ({status}): altered, replayed or out of order";
        }

        return RequiresEncryptedReads && !encrypted ? "a message came with integrity only where confidentiality was agreed" : null;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _disposed = true;
                _context.Dispose();
            }
        }
    }
}
