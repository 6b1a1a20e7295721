using System.Runtime.CompilerServices;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Gssapi;
using Windsock.Server.Metrics;

namespace Windsock.Server.Sessions.Steps;

/// <summary>
/// Step 3, negotiate: the SOCKS5 greeting and method choice (GSSAPI's context is made here too), under the
/// negotiation timeout together with steps 2, 4 and 5. The sequence from the first byte to an accepted request
/// lives in <see cref="RunAsync"/>.
/// </summary>
internal static class NegotiateStep
{
    /// <summary>The part under the negotiation timeout: sniff, negotiate, authenticate, read the request.</summary>
    public static async Task<Socks5Request?> RunAsync(ClientConnection client, HandshakeReader reader, CancellationToken shutdown)
    {
        var context = client.Context;
        var record = client.Record;
        // The deadline's source is reused (see DeadlineSources: the socket keeps pointing at it during the relay),
        // and the session's shutdown cancels it through one registration instead of a linked source per session.
        var deadline = context.Deadlines.Rent(context.Options.NegotiationTimeout);
        var onShutdown = shutdown.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), deadline);
        var token = deadline.Token;
        try
        {
            switch (await SniffStep.RunAsync(client, reader, token).ConfigureAwait(false))
            {
                case SocksVersion.Socks5:
                    if (!await ChooseMethodAsync(client, reader, token).ConfigureAwait(false))
                    {
                        return null;
                    }

                    return await RequestStep.RunAsync(client, reader, token).ConfigureAwait(false);
                case SocksVersion.Socks4:
                    // SOCKS4 has no negotiation and no authentication: the request is the first message.
                    return await Socks4RequestStep.RunAsync(client, reader, token).ConfigureAwait(false);
                default:
                    return null;
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !shutdown.IsCancellationRequested)
        {
            record.EndReason = $"negotiation timeout ({context.Options.NegotiationTimeout.TotalSeconds:0.#}s)";
            return null;
        }
        catch (PeerClosedException)
        {
            record.EndReason = client.Protection is not null
                ? $"client closed after being granted gssapi protection {record.Protection} (a client that cannot protect data, such as curl, "
                    + "closes here: it needs \"clear\" among gssapi.protection)"
                : "client closed during negotiation";
            return null;
        }
        catch (GssapiFailureException e)
        {
            record.EndReason = e.Message;
            context.Metrics.Authenticated("gssapi", AuthOutcome.Failure);
            GssapiLog.AuthenticationFailed(context.Logger, record.Client, record.Id, e.Message);
            return null;
        }
        finally
        {
            // Unregistered first (waits for a cancel in progress), so the source goes back untouched by this session.
            onShutdown.Dispose();
            context.Deadlines.Return(deadline);
        }
    }

    /// <summary>Reads the greeting, answers with the method the server prefers, and runs that method; false ends the session.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> ChooseMethodAsync(ClientConnection client, HandshakeReader reader, CancellationToken token)
    {
        var context = client.Context;
        var record = client.Record;
        Socks5Greeting greeting;
        try
        {
            greeting = await reader.ReadAsync<Socks5Greeting>(Socks5Greeting.TryParse, token).ConfigureAwait(false);
        }
        catch (SocksProtocolException e)
        {
            record.EndReason = $"bad greeting: {e.Error}";
            return false;
        }

        client.WantsReason = greeting.Methods.Contains(DenialReason.MethodCode);
        var gssapi = context.Options.Gssapi;
        var wanted = MethodChoice.Choose(greeting.Methods, gssapi is not null, context.Credentials is not null);
        if (wanted == AuthMethod.NoAcceptableMethods)
        {
            await client.SendAsync(Selection(AuthMethod.NoAcceptableMethods), token).ConfigureAwait(false);
            record.EndReason = $"no acceptable authentication method (offered {(greeting.Methods.IsEmpty ? "none" : greeting.Methods.ToString())}; "
                + $"the server accepts {MethodChoice.Accepted(gssapi is not null, context.Credentials is not null)})";
            return false;
        }

        await client.SendAsync(Selection(wanted), token).ConfigureAwait(false);
        if (reader.Leftover.IsEmpty)
        {
            reader.WaitBeforeTrying(); // the client reads the selection before it goes on
        }

        record.AuthMethod = wanted;
        if (wanted == AuthMethod.UsernamePassword)
        {
            return await AuthenticateStep.RunAsync(client, reader, token).ConfigureAwait(false);
        }

        if (wanted == AuthMethod.Gssapi)
        {
            // GSS-API calls block in the library (keytab, replay cache): off the handshake loop first.
            await HandshakeLoop.LeaveAsync();
            client.Protection = await GssapiNegotiation.RunAsync(reader, client.Socket, record, gssapi!, token).ConfigureAwait(false);
            context.Metrics.Authenticated("gssapi", AuthOutcome.Success);
            if (client.Protection is { } protection)
            {
                // RFC 1961 section 5: everything after the negotiation is encapsulated, the request first.
                reader.StartUnwrapping(protection);
            }
        }

        if (wanted != AuthMethod.Gssapi)
        {
            context.Metrics.Authenticated("none", AuthOutcome.Success);
        }

        return true;
    }

    // The method selection message, one cached writer per method: a lambda capturing the method made a closure
    // and a delegate per session.
    private static ClientConnection.MessageWriter Selection(AuthMethod method) => method switch
    {
        AuthMethod.None => static buffer => Socks5MethodSelection.Write(buffer, AuthMethod.None),
        AuthMethod.UsernamePassword => static buffer => Socks5MethodSelection.Write(buffer, AuthMethod.UsernamePassword),
        AuthMethod.Gssapi => static buffer => Socks5MethodSelection.Write(buffer, AuthMethod.Gssapi),
        AuthMethod.NoAcceptableMethods => static buffer => Socks5MethodSelection.Write(buffer, AuthMethod.NoAcceptableMethods),
        _ => buffer => Socks5MethodSelection.Write(buffer, method),
    };
}
