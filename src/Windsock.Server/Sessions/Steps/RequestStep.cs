using System.Runtime.CompilerServices;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;

namespace Windsock.Server.Sessions.Steps;

/// <summary>Step 5, read the request (SOCKS5): command and destination, and the ident answer for the log and the rules.</summary>
internal static class RequestStep
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<Socks5Request?> RunAsync(ClientConnection client, HandshakeReader reader, CancellationToken token)
    {
        var context = client.Context;
        var record = client.Record;
        Socks5Request request;
        try
        {
            request = await reader.ReadAsync<Socks5Request>(Socks5Request.TryParse, token).ConfigureAwait(false);
        }
        catch (SocksProtocolException e)
        {
            record.EndReason = $"bad request: {e.Error}";
            var code = e.Error switch
            {
                ProtocolError.UnsupportedAddressType => Socks5ReplyCode.AddressTypeNotSupported,
                ProtocolError.UnsupportedVersion => (Socks5ReplyCode?)null,
                _ => Socks5ReplyCode.GeneralFailure,
            };
            if (code is { } reply)
            {
                await client.ReplyAsync(reply, null, token).ConfigureAwait(false);
            }

            return null;
        }

        record.Destination = request.Destination;
        record.Command = request.Command;
        if (context.Ident is { } ident)
        {
            // SOCKS5 has no user id to compare with: the answer is recorded for the log (and rules), never a refusal.
            record.IdentUser = (await ident.LookupAsync(record.Client, record.IdentServer, token).ConfigureAwait(false)).UserId;
        }

        return request;
    }
}
