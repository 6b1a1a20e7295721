using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.Gssapi;
using Windsock.Server.Access;
using Windsock.Server.Gssapi;
using Windsock.Server.Ident;
using Windsock.Server.Sessions.Steps;

namespace Windsock.Server.Sessions;

/// <summary>
/// The client side of a session as the command handlers see it: the socket, the dialect it speaks
/// (replies are written in SOCKS4 or SOCKS5 form), the record to fill in, and what the server shares.
/// </summary>
public sealed class ClientConnection
{
    internal ClientConnection(Socket socket, SessionRecord record, SessionContext context)
    {
        Socket = socket;
        Record = record;
        Context = context;
        Recorder = new RecordStep(record, context.RequestLog);
    }

    public Socket Socket { get; }

    public SessionRecord Record { get; }

    public SessionContext Context { get; }

    /// <summary>The dialect of the request; replies are written in it.</summary>
    public SocksVersion Version { get; internal set; }

    /// <summary>The client listed Windsock's reason method in its greeting: failures are followed by a reason text.</summary>
    public bool WantsReason { get; internal set; }

    /// <summary>
    /// GSSAPI sessions granted integrity, confidentiality or selective: every message to and from the client is
    /// wrapped (RFC 1961 section 5), replies here, data in the relays. Null for every other session, which
    /// keeps the plain path.
    /// </summary>
    internal GssapiSecurity? Protection { get; set; }

    /// <summary>What the session holds against the [limits] once admitted (slots, bandwidth); disposed when it ends.</summary>
    internal Limits.SessionLimits? Limits { get; set; }

    /// <summary>The session's one request-log writer: the decision line once, the end line once.</summary>
    internal RecordStep Recorder { get; }

    /// <summary>SOCKS4 sessions with ident lookups on: what the client host's identd answered (a rule's ident mode may refuse on it).</summary>
    internal IdentResult? IdentAnswer { get; set; }

    /// <summary>The session these steps belong to: a detached relay ends it (<see cref="RelayEnded"/>).</summary>
    internal Session? Owner { get; init; }

    /// <summary>
    /// True once the relay runs on the handshake loop on its own: the steps return without ending the session, and the
    /// relay ends it when it ends (<see cref="RelayEnded"/>).
    /// </summary>
    internal bool Detached { get; set; }

    /// <summary>A detached relay has ended: the end reason, the destination closed, then the session's end.</summary>
    internal void RelayEnded(string reason, Socket destination)
    {
        Record.EndReason = reason;
        destination.Dispose();
        Owner?.Finish();
    }

    /// <summary>The listener address the client reached (the address it can reach the server on).</summary>
    public IPEndPoint LocalEndPoint => Record.Server;

    /// <summary>
    /// Sends a reply in the client's dialect (SOCKS4: any failure becomes 91). The first reply of a session
    /// tells the client the decision, so the record is written then (<see cref="RecordStep.Decided"/>);
    /// later ones (BIND's second reply) are not written again.
    /// </summary>
    public async Task ReplyAsync(Socks5ReplyCode code, IPEndPoint? bound, CancellationToken cancellationToken)
    {
        if (Version == SocksVersion.Socks4)
        {
            var socks4Code = code == Socks5ReplyCode.Succeeded ? Socks4ReplyCode.Granted : Socks4ReplyCode.RejectedOrFailed;
            await ReplySocks4Async(socks4Code, bound, cancellationToken).ConfigureAwait(false);
            return;
        }

        Record.ReplyCode = (int)code;
        var reply = bound is null ? Socks5Reply.Failure(code) : new Socks5Reply(code, SocksEndpoint.FromEndPoint(bound));
        await SendAsync(buffer => reply.Write(buffer), cancellationToken).ConfigureAwait(false);
        Recorder.Decided();
    }

    /// <summary>
    /// Sends a SOCKS5 reply whose BND may be a name (RESOLVE_PTR answers with ATYP 3), recorded as
    /// <see cref="ReplyAsync"/> is. SOCKS5 only.
    /// </summary>
    public async Task ReplySocks5Async(Socks5ReplyCode code, SocksEndpoint bound, CancellationToken cancellationToken)
    {
        Record.ReplyCode = (int)code;
        var reply = new Socks5Reply(code, bound);
        await SendAsync(buffer => reply.Write(buffer), cancellationToken).ConfigureAwait(false);
        Recorder.Decided();
    }

    /// <summary>
    /// Answers a denial as its rule says (a reply code, or closing without a reply), after the gate recorded it
    /// (<see cref="AccessGate.Refuse"/>), and tells a client that asked for it why (docs/protocol-extensions.md).
    /// </summary>
    public async Task DenyAsync(Decision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        Context.Access.Refuse(decision, Record, Context);
        Context.Metrics.Denied(decision, Record);
        if (decision.Reply.IsDrop)
        {
            // The old sockd's silent refusal: no reply at all. The decision is still recorded.
            Recorder.Decided();
            return;
        }

        await ReplyAsync(decision.Reply.Socks5Code, null, cancellationToken).ConfigureAwait(false);
        await SendReasonAsync(decision.Rule?.Reason ?? decision.Reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses a request that a limit stops (<c>limit sessions_per_user=20 reached for alice</c>): reply 1
    /// (SOCKS4: 91), the reason in the request log and, for a client that asked for it, after the reply.
    /// </summary>
    public async Task RefuseAsync(string reason, CancellationToken cancellationToken)
    {
        Record.EndReason = reason;
        await ReplyAsync(Socks5ReplyCode.GeneralFailure, null, cancellationToken).ConfigureAwait(false);
        await SendReasonAsync(reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Windsock's reason extension (docs/protocol-extensions.md): the text behind a failure reply, for clients that offered it.</summary>
    private async Task SendReasonAsync(string reason, CancellationToken cancellationToken)
    {
        if (WantsReason && Version == SocksVersion.Socks5)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(DenialReason.MaxLength);
            try
            {
                int length = DenialReason.Write(buffer, reason);
                await SendBytesAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Sends a SOCKS4 reply with a specific code (92 and 93 answer ident failures), recorded as <see cref="ReplyAsync"/> is.</summary>
    public async Task ReplySocks4Async(Socks4ReplyCode code, IPEndPoint? bound, CancellationToken cancellationToken)
    {
        Record.ReplyCode = (int)code;
        var reply = new Socks4Reply(code, bound?.Address ?? IPAddress.Any, (ushort)(bound?.Port ?? 0));
        await SendAsync(buffer => reply.Write(buffer), cancellationToken).ConfigureAwait(false);
        Recorder.Decided();
    }

    public delegate int MessageWriter(Span<byte> buffer);

    /// <summary>Writes a small protocol message (at most 262 bytes) and sends it whole.</summary>
    public async ValueTask SendAsync(MessageWriter write, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(SocksLimits.MaxSocks5RequestLength);
        try
        {
            int length = write(buffer);
            await SendBytesAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// What a session may send to its client with a plain, synchronous send(2): less than the smallest send
    /// buffer Linux gives a TCP socket (SO_SNDBUF is never below 4608 bytes), so such a send always finds room
    /// and never waits, whether the client reads or not.
    /// </summary>
    internal const int SynchronousSendBudget = 4096;

    private int _sentSynchronously;

    /// <summary>Sends a message as it is, or wrapped in one RFC 1961 encapsulated message on a protected session.</summary>
    internal async ValueTask SendBytesAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (Protection is not { } protection)
        {
            if (TrySendSynchronously(message.Span))
            {
                return;
            }

            await Socket.SendAsync(message, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var frame = new GssapiFrameBuffer();
        protection.WrapFrame(message.Span, frame);
        await Socket.SendAsync(frame.Written, SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The handshake's replies (a few dozen bytes each) as one send(2) on the calling thread, while everything the
    /// session has sent so far stays within <see cref="SynchronousSendBudget"/>: the same system call SendAsync
    /// makes first, without the send awaitable the socket would otherwise create and keep for its whole life (about
    /// 360 bytes per idle session) and without a state machine per reply. A GSSAPI session sends its negotiation
    /// tokens (up to 64 KiB) on its own, uncounted here, so it keeps the asynchronous send.
    /// </summary>
    private bool TrySendSynchronously(ReadOnlySpan<byte> message)
    {
        if (Record.AuthMethod == AuthMethod.Gssapi || _sentSynchronously + message.Length > SynchronousSendBudget)
        {
            return false;
        }

        _sentSynchronously += message.Length;
        Socket.Send(message, SocketFlags.None);
        return true;
    }
}
