using System.Net;

namespace Windsock.Server.Authentication.Pam;

/// <summary>
/// Username/password checked by the host's PAM stack (<c>[auth] pam_service</c>): system accounts
/// and whatever the service's file in /etc/pam.d configures (pam_unix, LDAP, SSSD, one-time
/// passwords). Both pam_authenticate and pam_acct_mgmt must agree, so locked and expired accounts
/// are refused. Answers are never cached (see <see cref="VerifiedCredentialCache"/>).
/// </summary>
public sealed class PamCredentialVerifier : ICredentialVerifier
{
    /// <summary>How the request log names this back end.</summary>
    public const string BackendName = "pam";

    /// <summary>
    /// The way onto the PAM threads, one slot per thread: per-source round-robin and a bounded wait, as
    /// for the users file's hashes, so a flood of PAM logins from one place cannot keep another's waiting.
    /// </summary>
    private static readonly Lazy<PasswordHashingQueue> SharedQueue = new(() => new PasswordHashingQueue(PamWorkers.DefaultThreads, TimeProvider.System));

    private readonly TimeProvider _time;
    private readonly PamWorkers _workers;
    private readonly PasswordHashingQueue _queue;

    public PamCredentialVerifier(string service, TimeProvider time)
        : this(service, time, PamWorkers.Shared)
    {
    }

    internal PamCredentialVerifier(string service, TimeProvider time, PamWorkers workers, PasswordHashingQueue? queue = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentNullException.ThrowIfNull(time);
        Service = service;
        _time = time;
        _workers = workers;
        _queue = queue ?? SharedQueue.Value;
    }

    /// <summary>The PAM service name: the file /etc/pam.d/NAME, or /etc/pam.d/other when there is none.</summary>
    public string Service { get; }

    /// <summary>Whether libpam.so.0 can be loaded here, so a missing library is a start-up error rather than failed logins.</summary>
    public static bool IsLibraryAvailable() => PamNative.IsAvailable();

    public async ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(client);
        if (Refusal(userName, password) is { } problem)
        {
            return new CredentialVerdict(false, BackendName, problem);
        }

        string remoteHost = (client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client).ToString();
        using var slot = await _queue.EnterAsync(client, cancellationToken).ConfigureAwait(false);
        if (slot is null)
        {
            return new CredentialVerdict(false, BackendName, _queue.BusyDetail("PAM threads"));
        }

        PamOutcome outcome;
        try
        {
            outcome = await _workers.RunAsync(() => PamLogin.Run(Service, userName, password, remoteHost), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return new CredentialVerdict(false, BackendName, $"{PamNative.Library} cannot be loaded: {e.Message}");
        }

        slot.Dispose(); // the failure delay below holds no slot, as it holds no thread
        if (!outcome.Accepted && outcome.FailDelay > TimeSpan.Zero)
        {
            // The delay the modules asked for (pam_unix, pam_faildelay), waited here rather than on
            // a PAM thread: the guesser still waits for each answer, other logins do not.
            await Task.Delay(outcome.FailDelay, _time, cancellationToken).ConfigureAwait(false);
        }

        return new CredentialVerdict(outcome.Accepted, BackendName, outcome.Detail);
    }

    /// <summary>Input PAM must never see. A NUL would end the C string early: "secret\0junk" would log in with "secret".</summary>
    private static string? Refusal(string userName, string password)
    {
        if (userName.Contains('\0', StringComparison.Ordinal) || password.Contains('\0', StringComparison.Ordinal))
        {
            return "the user name or password contains a NUL byte, which PAM cannot take";
        }

        return CredentialRules.CheckUserName(userName) ?? CredentialRules.CheckPassword(password);
    }
}
