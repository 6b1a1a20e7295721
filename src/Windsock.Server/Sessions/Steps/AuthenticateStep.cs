using System.Runtime.CompilerServices;
using Windsock.Protocol.UsernamePassword;
using Windsock.Server.Logging;
using Windsock.Server.Metrics;

namespace Windsock.Server.Sessions.Steps;

/// <summary>Step 4, authenticate: RFC 1929 username/password, through the login throttle to the credential back end.</summary>
internal static class AuthenticateStep
{
    /// <summary>True when the user logged in; false (reason recorded, failure sent) ends the session.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<bool> RunAsync(ClientConnection client, HandshakeReader reader, CancellationToken token)
    {
        var context = client.Context;
        var record = client.Record;
        UsernamePasswordRequest credentials;
        try
        {
            credentials = await reader.ReadAsync<UsernamePasswordRequest>(UsernamePasswordRequest.TryParse, token).ConfigureAwait(false);
        }
        catch (SocksProtocolException e)
        {
            await client.SendAsync(buffer => UsernamePasswordReply.Write(buffer, success: false), token).ConfigureAwait(false);
            record.EndReason = $"bad username/password message: {e.Error}";
            return false;
        }

        record.User = credentials.UserName;

        // The credential back end may take long (PAM, a hash): off the handshake loop first.
        await HandshakeLoop.LeaveAsync();
        if (await ThrottledLogin.VerifyAsync(context, record, credentials, token).ConfigureAwait(false) is not { } verdict)
        {
            // Refused without checking: the throttle's reason is in the record; the client sees a plain failure.
            context.Metrics.Authenticated("username", AuthOutcome.Throttled);
            await client.SendAsync(buffer => UsernamePasswordReply.Write(buffer, success: false), token).ConfigureAwait(false);
            return false;
        }

        bool ok = verdict.Accepted;
        record.AuthBackend = verdict.Backend;
        context.Metrics.Authenticated("username", ok ? AuthOutcome.Success : AuthOutcome.Failure);
        await client.SendAsync(buffer => UsernamePasswordReply.Write(buffer, ok), token).ConfigureAwait(false);
        if (!ok)
        {
            record.EndReason = "authentication failed";
            ServerLog.AuthenticationFailed(context.Logger, credentials.UserName, record.Client, record.Id, verdict.Backend, verdict.Detail ?? "refused");
        }

        return ok;
    }
}
