using System.Runtime.InteropServices;

namespace Windsock.Server.Authentication.Pam;

/// <summary>
/// One complete PAM transaction for a SOCKS login, synchronous because every PAM call blocks:
/// pam_start on the service, PAM_RHOST and the failure-delay hook, pam_authenticate (the
/// password), pam_acct_mgmt (locked, expired, time or access restrictions), pam_end. No session
/// is opened and no credentials are set: the proxy checks who the user is, it does not log them in.
/// Run it on <see cref="PamWorkers"/>, never on a thread-pool thread.
/// </summary>
internal static unsafe class PamLogin
{
    // Both flags on both calls: PAM_SILENT because nobody reads module chatter, and
    // PAM_DISALLOW_NULL_AUTHTOK so an account without a password (pam_unix "nullok") never
    // becomes a proxy login.
    private const int Flags = PamNative.Silent | PamNative.DisallowNullAuthToken;

    public static PamOutcome Run(string service, string user, string password, string? remoteHost)
    {
        using var conversation = new PamConversation(user, password);
        var pin = new GCHandle<PamConversation>(conversation);
        try
        {
            var pamConversation = new PamNative.Conversation
            {
                Converse = PamConversation.ConverseFunction,
                AppData = (void*)GCHandle<PamConversation>.ToIntPtr(pin),
            };
            int status = PamNative.Start(service, user, &pamConversation, out nint handle);
            if (status != PamNative.Success)
            {
                // pam_start has already released what it allocated; there is no handle to end.
                return new PamOutcome(false, $"pam_start: {PamNative.Describe(0, status)}", TimeSpan.Zero);
            }

            try
            {
                return Decide(handle, conversation, remoteHost, ref status);
            }
            finally
            {
                // The last status lets modules' cleanup know how the transaction ended.
                PamNative.End(handle, status);
            }
        }
        finally
        {
            pin.Dispose();
        }
    }

    private static PamOutcome Decide(nint handle, PamConversation conversation, string? remoteHost, ref int status)
    {
        if (remoteHost is not null)
        {
            // For the host's logs and for modules that decide by origin (pam_access, pam_rhosts).
            status = PamNative.SetItem(handle, PamNative.ItemRemoteHost, remoteHost);
            if (status != PamNative.Success)
            {
                return new PamOutcome(false, $"pam_set_item(PAM_RHOST): {PamNative.Describe(handle, status)}", TimeSpan.Zero);
            }
        }

        status = PamNative.SetItem(handle, PamNative.ItemFailDelay, PamConversation.DelayFunction);
        if (status != PamNative.Success)
        {
            return new PamOutcome(false, $"pam_set_item(PAM_FAIL_DELAY): {PamNative.Describe(handle, status)}", TimeSpan.Zero);
        }

        status = PamNative.Authenticate(handle, Flags);
        if (status != PamNative.Success)
        {
            return new PamOutcome(false, $"pam_authenticate: {PamNative.Describe(handle, status)}", conversation.FailDelay);
        }

        status = PamNative.AccountManagement(handle, Flags);
        if (status != PamNative.Success)
        {
            // PAM_NEW_AUTHTOK_REQD (the password must be changed) is a refusal too: a SOCKS client
            // has no way to change it.
            return new PamOutcome(false, $"pam_acct_mgmt: {PamNative.Describe(handle, status)}", TimeSpan.Zero);
        }

        if (conversation.PasswordPrompts == 0)
        {
            status = PamNative.AuthError;
            return new PamOutcome(false, "the PAM stack said yes without asking for the password; check the service's auth lines in /etc/pam.d", TimeSpan.Zero);
        }

        return new PamOutcome(true, null, TimeSpan.Zero);
    }
}
