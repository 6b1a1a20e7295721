using System.Net.Sockets;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.UsernamePassword;
using Windsock.Server.Logging;
using Windsock.Server.Commands;
using Windsock.Server.Gssapi;
using Windsock.Server.Ident;
using Windsock.Server.Limits;

namespace Windsock.Server.Sessions;

/// <summary>
/// One client connection from accept to close: sniff the version, negotiate and authenticate, read the
/// request, connect, reply, relay. Each step fills in the <see cref="SessionRecord"/>, which is logged
/// when the request is decided and when the session ends.
/// </summary>
internal sealed class Session
{
    private readonly ClientConnection _client;
    private readonly SessionRecord _record;
    private readonly SessionContext _context;
    private IdentResult? _identAnswer;

    public Session(Socket client, SessionRecord record, SessionContext context)
    {
        _client = new ClientConnection(client, record, context);
        _record = record;
        _context = context;
    }

    public async Task RunAsync(CancellationToken shutdown)
    {
        try
        {
            using var reader = new HandshakeReader(_client.Socket);
            if (!await ProxyHeaderStep.RunAsync(reader, _record, _context, shutdown).ConfigureAwait(false))
            {
                return;
            }

            if (!_context.AllowedClients.Contains(_record.Client.Address))
            {
                _record.EndReason = "client address not allowed";
                return;
            }

            // Counted from accept until the request is read: one source cannot hold the server in handshakes.
            var admission = _context.Guards.Unauthenticated.TryAcquire(SourceKey.From(_record.Client.Address));
            using var unauthenticated = admission.Lease;
            if (unauthenticated is null)
            {
                _record.EndReason = admission.Refusal;
                LimitLog.Refused(_context.Logger, admission);
                return;
            }

            var request = await NegotiateAsync(reader, shutdown).ConfigureAwait(false);
            unauthenticated.Dispose();
            if (request is not { } accepted)
            {
                return;
            }

            if (_client.Protection is { } protection)
            {
                // Frames the client sent behind its request are unwrapped by the relay, after the plaintext leftover.
                protection.AddPendingInput(reader.RawLeftover.Span);
            }

            // The access rules decide every command they know; a name's decision may wait for its addresses.
            AccessRequest? pending = null;
            if (PolicyCommands.FromSocks5(accepted.Command) is { } command && IsServed(accepted.Command))
            {
                var access = _context.Access.Describe(_record, _client.Version, command, accepted.Destination, associationSetup: command == PolicyCommand.UdpAssociate);
                var decision = _context.Access.Decide(access);
                if (decision.Outcome == DecisionOutcome.Deny)
                {
                    await _client.DenyAsync(decision, shutdown).ConfigureAwait(false);
                    return;
                }

                // A rule's own ident mode (the old sockd's ?=i / ?=I per line) applies to SOCKS4 user ids.
                if (decision.Ident != IdentMode.Off && _client.Version == SocksVersion.Socks4 && _identAnswer is { } answer
                    && IdentVerdict.Evaluate(decision.Ident, answer, _record.User ?? string.Empty) is { } refusal)
                {
                    _record.Rule = decision.DecidedBy;
                    _record.EndReason = refusal.Reason;
                    await _client.ReplySocks4Async(refusal.Code, null, shutdown).ConfigureAwait(false);
                    _context.RequestLog.Write(RequestLogEvent.Request, _record);
                    return;
                }

                if (decision.Outcome == DecisionOutcome.NeedsAddress)
                {
                    pending = access;
                }
                else
                {
                    _context.Access.Apply(decision, _record, _context);
                }
            }

            // The one place a decided request is handed to its command.
            switch (accepted.Command)
            {
                case Socks5Command.Connect:
                    var pipelined = reader.Leftover.ToArray();
                    reader.Dispose(); // no handshake buffer held for the life of the relay
                    await ConnectCommand.RunAsync(_client, accepted.Destination, pipelined, pending, shutdown).ConfigureAwait(false);
                    break;
                case Socks5Command.UdpAssociate:
                    bool controlHasData = !reader.Leftover.IsEmpty || !(_client.Protection?.PendingInput.IsEmpty ?? true);
                    reader.Dispose(); // the association may last hours; it holds no handshake buffer
                    await UdpAssociateCommand.RunAsync(_client, accepted.Destination, controlHasData, shutdown).ConfigureAwait(false);
                    break;
                case Socks5Command.Bind:
                    var early = reader.Leftover.ToArray();
                    reader.Dispose();
                    await BindCommand.RunAsync(_client, accepted.Destination, early, pending, shutdown).ConfigureAwait(false);
                    break;
                case Socks5Command.Resolve:
                    reader.Dispose();
                    await ResolveCommand.RunAsync(_client, accepted.Destination, pending, shutdown).ConfigureAwait(false);
                    break;
                case Socks5Command.ResolvePtr:
                    reader.Dispose();
                    await ResolveCommand.RunPtrAsync(_client, accepted.Destination, shutdown).ConfigureAwait(false);
                    break;
                default:
                    _record.EndReason = $"command {_record.Command} not supported";
                    await _client.ReplyAsync(Socks5ReplyCode.CommandNotSupported, null, shutdown).ConfigureAwait(false);
                    break;
            }
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
            _client.Protection?.Dispose();
            _client.Socket.Dispose();
            _context.RequestLog.Write(RequestLogEvent.End, _record);
        }
    }

    // SOCKS4 requests arrive here only as Connect or Bind (NegotiateSocks4Async maps CD 1 and 2), so
    // the SOCKS5-only commands need no version check.
    private static bool IsServed(Socks5Command command) =>
        command is Socks5Command.Connect or Socks5Command.Bind or Socks5Command.UdpAssociate or Socks5Command.Resolve or Socks5Command.ResolvePtr;

    /// <summary>The part under the negotiation timeout: from the first byte to an accepted request.</summary>
    private async Task<Socks5Request?> NegotiateAsync(HandshakeReader reader, CancellationToken shutdown)
    {
        using var deadline = new CancellationTokenSource(_context.Options.NegotiationTimeout, _context.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, shutdown);
        var token = linked.Token;
        try
        {
            var first = await reader.PeekFirstByteAsync(token).ConfigureAwait(false);
            switch (SocksVersionDetector.Detect(first))
            {
                case SocksVersion.Socks5:
                    _client.Version = SocksVersion.Socks5;
                    _record.Version = "5";
                    return await NegotiateSocks5Async(reader, token).ConfigureAwait(false);
                case SocksVersion.Socks4:
                    _client.Version = SocksVersion.Socks4;
                    _record.Version = "4";
                    return await NegotiateSocks4Async(reader, token).ConfigureAwait(false);
                default:
                    _record.EndReason = ProxyHeaderStep.NotSocks(reader, _record, _context, first);
                    return null;
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !shutdown.IsCancellationRequested)
        {
            _record.EndReason = $"negotiation timeout ({_context.Options.NegotiationTimeout.TotalSeconds:0.#}s)";
            return null;
        }
        catch (PeerClosedException)
        {
            _record.EndReason = _client.Protection is not null
                ? $"client closed after being granted gssapi protection {_record.Protection} (a client that cannot protect data, such as curl, "
                    + "closes here: it needs \"clear\" among gssapi.protection)"
                : "client closed during negotiation";
            return null;
        }
        catch (GssapiFailureException e)
        {
            _record.EndReason = e.Message;
            GssapiLog.AuthenticationFailed(_context.Logger, _record.Client, _record.Id, e.Message);
            return null;
        }
    }

    private async Task<Socks5Request?> NegotiateSocks5Async(HandshakeReader reader, CancellationToken token)
    {
        Socks5Greeting greeting;
        try
        {
            greeting = await reader.ReadAsync<Socks5Greeting>(Socks5Greeting.TryParse, token).ConfigureAwait(false);
        }
        catch (SocksProtocolException e)
        {
            _record.EndReason = $"bad greeting: {e.Error}";
            return null;
        }

        _client.WantsReason = greeting.Methods.Contains(DenialReason.MethodCode);
        var gssapi = _context.Options.Gssapi;
        var wanted = MethodChoice.Choose(greeting.Methods, gssapi is not null, _context.Credentials is not null);
        if (wanted == AuthMethod.NoAcceptableMethods)
        {
            await _client.SendAsync(buffer => Socks5MethodSelection.Write(buffer, AuthMethod.NoAcceptableMethods), token).ConfigureAwait(false);
            _record.EndReason = $"no acceptable authentication method (offered {(greeting.Methods.IsEmpty ? "none" : greeting.Methods.ToString())}; "
                + $"the server accepts {MethodChoice.Accepted(gssapi is not null, _context.Credentials is not null)})";
            return null;
        }

        await _client.SendAsync(buffer => Socks5MethodSelection.Write(buffer, wanted), token).ConfigureAwait(false);
        if (wanted == AuthMethod.UsernamePassword)
        {
            _record.AuthMethod = "username";
            if (!await AuthenticateAsync(reader, token).ConfigureAwait(false))
            {
                return null;
            }
        }
        else if (wanted == AuthMethod.Gssapi)
        {
            _record.AuthMethod = "gssapi";
            _client.Protection = await GssapiNegotiation.RunAsync(reader, _client.Socket, _record, gssapi!, token).ConfigureAwait(false);
            if (_client.Protection is { } protection)
            {
                // RFC 1961 section 5: everything after the negotiation is encapsulated, the request first.
                reader.StartUnwrapping(protection);
            }
        }
        else
        {
            _record.AuthMethod = "none";
        }

        Socks5Request request;
        try
        {
            request = await reader.ReadAsync<Socks5Request>(Socks5Request.TryParse, token).ConfigureAwait(false);
        }
        catch (SocksProtocolException e)
        {
            _record.EndReason = $"bad request: {e.Error}";
            var code = e.Error switch
            {
                ProtocolError.UnsupportedAddressType => Socks5ReplyCode.AddressTypeNotSupported,
                ProtocolError.UnsupportedVersion => (Socks5ReplyCode?)null,
                _ => Socks5ReplyCode.GeneralFailure,
            };
            if (code is { } reply)
            {
                await _client.ReplyAsync(reply, null, token).ConfigureAwait(false);
            }

            return null;
        }

        _record.Destination = request.Destination;
        _record.Command = CommandName(request.Command);
        if (_context.Ident is { } ident)
        {
            // SOCKS5 has no user id to compare with: the answer is recorded for the log (and rules), never a refusal.
            _record.IdentUser = (await ident.LookupAsync(_record.Client, _record.IdentServer, token).ConfigureAwait(false)).UserId;
        }

        return request;
    }

    private async Task<bool> AuthenticateAsync(HandshakeReader reader, CancellationToken token)
    {
        UsernamePasswordRequest credentials;
        try
        {
            credentials = await reader.ReadAsync<UsernamePasswordRequest>(UsernamePasswordRequest.TryParse, token).ConfigureAwait(false);
        }
        catch (SocksProtocolException e)
        {
            await _client.SendAsync(buffer => UsernamePasswordReply.Write(buffer, success: false), token).ConfigureAwait(false);
            _record.EndReason = $"bad username/password message: {e.Error}";
            return false;
        }

        _record.User = credentials.UserName;
        if (await ThrottledLogin.VerifyAsync(_context, _record, credentials, token).ConfigureAwait(false) is not { } verdict)
        {
            // Refused without checking: the throttle's reason is in the record; the client sees a plain failure.
            await _client.SendAsync(buffer => UsernamePasswordReply.Write(buffer, success: false), token).ConfigureAwait(false);
            return false;
        }

        bool ok = verdict.Accepted;
        _record.AuthBackend = verdict.Backend;
        await _client.SendAsync(buffer => UsernamePasswordReply.Write(buffer, ok), token).ConfigureAwait(false);
        if (!ok)
        {
            _record.EndReason = "authentication failed";
            ServerLog.AuthenticationFailed(_context.Logger, credentials.UserName, _record.Client, _record.Id, verdict.Backend, verdict.Detail ?? "refused");
        }

        return ok;
    }

    private async Task<Socks5Request?> NegotiateSocks4Async(HandshakeReader reader, CancellationToken token)
    {
        Socks4Request request;
        try
        {
            request = await reader.ReadAsync<Socks4Request>(Socks4Request.TryParse, token).ConfigureAwait(false);
        }
        catch (SocksProtocolException e)
        {
            _record.EndReason = $"bad request: {e.Error}";
            await _client.ReplyAsync(Socks5ReplyCode.GeneralFailure, null, token).ConfigureAwait(false);
            return null;
        }

        _record.Version = request.IsSocks4a ? "4a" : "4";
        _record.AuthMethod = "none";
        _record.User = request.UserId.Length == 0 ? null : request.UserId;
        _record.Destination = request.Destination;
        _record.Command = request.Command == Socks4Command.Connect ? "connect" : "bind";

        if (_context.Credentials is not null || _context.Options.Gssapi is not null)
        {
            _record.EndReason = _context.Options.Gssapi is null
                ? "SOCKS4 refused: the server requires username/password"
                : "SOCKS4 refused: the server requires authentication (gssapi" + (_context.Credentials is null ? ")" : " or username/password)");
            await _client.ReplyAsync(Socks5ReplyCode.NotAllowedByRuleset, null, token).ConfigureAwait(false);
            return null;
        }

        if (_context.Ident is { } ident)
        {
            var answer = await ident.LookupAsync(_record.Client, _record.IdentServer, token).ConfigureAwait(false);
            _identAnswer = answer;
            _record.IdentUser = answer.UserId;
            if (answer.Outcome != IdentOutcome.UserId)
            {
                _context.RunHook(_context.Options.IdentUnreachableHook, _record);
            }
            else if (!string.Equals(answer.UserId, request.UserId, StringComparison.Ordinal))
            {
                _context.RunHook(_context.Options.IdentMismatchHook, _record);
            }

            if (IdentVerdict.Evaluate(_context.Options.IdentMode, answer, request.UserId) is { } refusal)
            {
                _record.EndReason = refusal.Reason;
                await _client.ReplySocks4Async(refusal.Code, null, token).ConfigureAwait(false);
                _context.RequestLog.Write(RequestLogEvent.Request, _record);
                return null;
            }
        }

        // SOCKS4's commands are SOCKS5's first two; one dispatch serves both dialects.
        return new Socks5Request(request.Command == Socks4Command.Connect ? Socks5Command.Connect : Socks5Command.Bind, request.Destination);
    }

    private static string CommandName(Socks5Command command) => command switch
    {
        Socks5Command.Connect => "connect",
        Socks5Command.Bind => "bind",
        Socks5Command.UdpAssociate => "udp-associate",
        Socks5Command.Resolve => "resolve",
        Socks5Command.ResolvePtr => "resolve-ptr",
        Socks5Command.Ping => "ping",
        Socks5Command.Traceroute => "traceroute",
        _ => $"0x{(byte)command:X2}",
    };
}
