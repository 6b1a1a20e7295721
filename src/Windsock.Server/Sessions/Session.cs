using System.Net.Sockets;
using Windsock.Server.Gssapi;
using Windsock.Server.Logging;
using Windsock.Server.Sessions.Steps;

namespace Windsock.Server.Sessions;

/// <summary>
/// One client connection from accept to close, as the sequence of its steps (Sessions/Steps/, in this
/// order): accept, sniff, negotiate, authenticate, read the request, decide, dispatch to the command's
/// handler, relay, record. Each step fills in the <see cref="SessionRecord"/>; <see cref="RecordStep"/>
/// writes it when the request is decided and when the session ends.
/// <para>
/// A CONNECT that relays on the handshake loop leaves these steps before its end (<see cref="ClientConnection.Detached"/>):
/// the relay ends the session itself (<see cref="Finish"/>), so an idle session holds no awaiting chain of steps.
/// </para>
/// </summary>
internal sealed class Session
{
    private readonly ClientConnection _client;
    private readonly SessionRecord _record;
    private readonly SessionContext _context;
    private readonly Action<Session>? _ended;

    /// <param name="client">The accepted socket.</param>
    /// <param name="record">What the request log and the live session list show of it.</param>
    /// <param name="context">What the server shares.</param>
    /// <param name="ended">Told once the session has ended, on whichever thread ended it (the server's count).</param>
    public Session(Socket client, SessionRecord record, SessionContext context, Action<Session>? ended = null)
    {
        _client = new ClientConnection(client, record, context) { Owner = this };
        _record = record;
        _context = context;
        _ended = ended;
    }

    /// <summary>What the server shared with the session when it started (its metrics count it ended).</summary>
    public SessionContext Context => _context;

    /// <summary>The session's entry in the live session list, for whoever counts it ended.</summary>
    public Metrics.LiveSession? Live { get; init; }

    public async Task RunAsync(CancellationToken shutdown)
    {
        try
        {
            using var reader = new HandshakeReader(_client.Socket, _context.Options.Limits.GssapiTokenUnauthenticated);

            // 0. From a balancer (server.proxy_protocol_from), the PROXY header: it names the client everything after judges.
            if (!await ProxyHeaderStep.RunAsync(reader, _record, _context, shutdown).ConfigureAwait(false))
            {
                return;
            }

            // 1. Accept: allowed_clients and the per-source handshake count.
            using var unauthenticated = AcceptStep.Admit(_client);
            if (unauthenticated is null)
            {
                return;
            }

            // 2–5. Sniff, negotiate, authenticate, read the request: under the negotiation timeout.
            var accepted = await NegotiateStep.RunAsync(_client, reader, shutdown).ConfigureAwait(false);
            unauthenticated.Dispose();
            if (accepted is not { } socks)
            {
                return;
            }

            _context.Metrics.HandshakeCompleted(_record.Elapsed);

            if (_client.Protection is { } protection)
            {
                // Frames the client sent behind its request are unwrapped by the relay, after the plaintext leftover.
                protection.AddPendingInput(reader.RawLeftover.Span);
            }

            // 6. Decide (the access rules, through the decision seam).
            var request = new SessionRequest(socks.Command, socks.Destination, reader) { Reserved = socks.Reserved };
            if (!await DecideStep.RunAsync(_client, request, shutdown).ConfigureAwait(false))
            {
                return;
            }

            // 7. Dispatch to the command's handler, which replies and (8.) relays.
            await DispatchStep.RunAsync(_client, request, shutdown).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            _record.EndReason ??= "server shutdown";
        }
        catch (SocketException e)
        {
            _record.EndReason ??= $"client connection failed: {e.SocketErrorCode}";
        }
        catch (GssapiFailureException e)
        {
            _record.EndReason = e.Message;
            GssapiLog.ProtectionFailed(_context.Logger, _record.Id, _record.User ?? "-", e.Message);
        }
        catch (Exception e)
        {
            _record.EndReason ??= "internal error";
            ServerLog.SessionCrashed(_context.Logger, _record.Id, e);
        }
        finally
        {
            // A relay on the handshake loop ends the session when it ends.
            if (!_client.Detached)
            {
                Finish();
            }
        }
    }

    /// <summary>The session's end, once: its resources let go, the end line written, the server told.</summary>
    public void Finish()
    {
        _client.Protection?.Dispose();
        _client.Limits?.Dispose();
        _client.Socket.Dispose();

        // 9. Record: the end line (saying so when an administrator ended the session).
        _context.Metrics.Live.Finishing(_record);
        _client.Recorder.Ended();
        _ended?.Invoke(this);
    }
}
