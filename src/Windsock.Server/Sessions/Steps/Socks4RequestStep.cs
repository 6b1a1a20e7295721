using System.Runtime.CompilerServices;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Server.Ident;

namespace Windsock.Server.Sessions.Steps;

/// <summary>
/// Step 5, read the request (SOCKS4 and 4a): the request is the first message; a server that requires
/// authentication refuses the dialect (the decision seam says so); the user id is checked with identd.
/// </summary>
internal static class Socks4RequestStep
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<Socks5Request?> RunAsync(ClientConnection client, HandshakeReader reader, CancellationToken token)
    {
        var context = client.Context;
        var record = client.Record;
        Socks4Request request;
        try
        {
            request = await reader.ReadAsync<Socks4Request>(Socks4Request.TryParse, token).ConfigureAwait(false);
        }
        catch (SocksProtocolException e)
        {
            record.EndReason = $"bad request: {e.Error}";
            await client.ReplyAsync(Socks5ReplyCode.GeneralFailure, null, token).ConfigureAwait(false);
            return null;
        }

        record.Version = request.IsSocks4a ? PolicyVersion.Socks4a : PolicyVersion.Socks4;
        record.AuthMethod = AuthMethod.None;
        record.User = request.UserId.Length == 0 ? null : request.UserId;
        record.Destination = request.Destination;
        // SOCKS4's commands are SOCKS5's first two; one dispatch serves both dialects.
        var command = request.Command == Socks4Command.Connect ? Socks5Command.Connect : Socks5Command.Bind;
        record.Command = command;

        if (context.Access.RefuseVersion(SocksVersion.Socks4) is { } refusal)
        {
            record.EndReason = refusal;
            await client.ReplyAsync(Socks5ReplyCode.NotAllowedByRuleset, null, token).ConfigureAwait(false);
            return null;
        }

        if (context.Ident is { } ident)
        {
            // The client host's identd may answer slowly or never (up to the ident timeout): off the handshake loop first.
            await HandshakeLoop.LeaveAsync();
            var answer = await ident.LookupAsync(record.Client, record.IdentServer, token).ConfigureAwait(false);
            client.IdentAnswer = answer;
            record.IdentUser = answer.UserId;
            if (answer.Outcome != IdentOutcome.UserId)
            {
                context.RunHook(context.Options.IdentUnreachableHook, record);
            }
            else if (!string.Equals(answer.UserId, request.UserId, StringComparison.Ordinal))
            {
                context.RunHook(context.Options.IdentMismatchHook, record);
            }

            if (IdentVerdict.Evaluate(context.Options.IdentMode, answer, request.UserId) is { } identRefusal)
            {
                record.EndReason = identRefusal.Reason;
                await client.ReplySocks4Async(identRefusal.Code, null, token).ConfigureAwait(false);
                return null;
            }
        }

        return new Socks5Request(command, request.Destination);
    }
}
