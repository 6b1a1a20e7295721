using System.Net;
using Microsoft.Extensions.Time.Testing;
using Windsock.Server.Authentication;
using Windsock.Server.Authentication.Pam;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

/// <summary>
/// The PAM back end against the host's real PAM stack (Debian's "other" service: pam_unix), with
/// throwaway system accounts. No stand-in for libpam: what is tested is what production runs.
/// </summary>
public sealed class PamCredentialVerifierTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");

    private static async Task<CredentialVerdict> VerifyAsync(ICredentialVerifier verifier, string user, string password)
    {
        using var deadline = new CancellationTokenSource(Bound);
        return await verifier.VerifyAsync(user, password, Client, deadline.Token);
    }

    [Fact]
    public async Task A_system_account_with_its_password_is_accepted()
    {
        SystemAccount.SkipUnlessPossible();
        await using var account = await SystemAccount.CreateAsync();
        var verifier = new PamCredentialVerifier(SystemAccount.ServiceWithoutFile, TimeProvider.System);

        CredentialVerdict verdict = await VerifyAsync(verifier, account.Name, account.Password);

        Assert.Equal(new CredentialVerdict(true, "pam"), verdict);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_by_pam_authenticate()
    {
        SystemAccount.SkipUnlessPossible();
        await using var account = await SystemAccount.CreateAsync();
        var verifier = new PamCredentialVerifier(SystemAccount.ServiceWithoutFile, TimeProvider.System);

        CredentialVerdict verdict = await VerifyAsync(verifier, account.Name, account.Password + "x");

        Assert.False(verdict.Accepted);
        Assert.Equal("pam", verdict.Backend);
        Assert.StartsWith("pam_authenticate: ", verdict.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(account.Password, verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_user_is_refused()
    {
        SystemAccount.SkipUnlessPossible();
        var verifier = new PamCredentialVerifier(SystemAccount.ServiceWithoutFile, TimeProvider.System);

        CredentialVerdict verdict = await VerifyAsync(verifier, "wsk-pam-nobody-here", "whatever-1929");

        Assert.False(verdict.Accepted);
        Assert.StartsWith("pam_authenticate: ", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_locked_account_is_refused_with_its_right_password()
    {
        SystemAccount.SkipUnlessPossible();
        await using var account = await SystemAccount.CreateAsync();
        await account.LockAsync();
        var verifier = new PamCredentialVerifier(SystemAccount.ServiceWithoutFile, TimeProvider.System);

        CredentialVerdict verdict = await VerifyAsync(verifier, account.Name, account.Password);

        Assert.False(verdict.Accepted);
    }

    [Fact]
    public async Task An_expired_account_is_refused_by_pam_acct_mgmt_although_the_password_is_right()
    {
        SystemAccount.SkipUnlessPossible();
        await using var account = await SystemAccount.CreateAsync();
        await account.ExpireAsync();
        var verifier = new PamCredentialVerifier(SystemAccount.ServiceWithoutFile, TimeProvider.System);

        CredentialVerdict verdict = await VerifyAsync(verifier, account.Name, account.Password);

        Assert.False(verdict.Accepted);
        Assert.StartsWith("pam_acct_mgmt: ", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_NUL_cannot_cut_the_password_or_the_name_short()
    {
        SystemAccount.SkipUnlessPossible();
        await using var account = await SystemAccount.CreateAsync();
        var verifier = new PamCredentialVerifier(SystemAccount.ServiceWithoutFile, TimeProvider.System);

        // In C, "password\0junk" is "password" and "name\0junk" is "name".
        CredentialVerdict password = await VerifyAsync(verifier, account.Name, account.Password + "\0junk");
        CredentialVerdict name = await VerifyAsync(verifier, account.Name + "\0junk", account.Password);

        Assert.False(password.Accepted);
        Assert.Contains("NUL", password.Detail, StringComparison.Ordinal);
        Assert.False(name.Accepted);
        Assert.Contains("NUL", name.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pam_hands_its_failure_delay_to_the_hook_instead_of_sleeping()
    {
        SystemAccount.SkipUnlessPossible();
        await using var account = await SystemAccount.CreateAsync();

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        PamOutcome outcome = PamLogin.Run(SystemAccount.ServiceWithoutFile, account.Name, "wrong-1929", "192.0.2.7");
        TimeSpan took = System.Diagnostics.Stopwatch.GetElapsedTime(started);

        Assert.False(outcome.Accepted);
        // pam_unix asks for 2 s; Linux-PAM randomises it by up to half either way.
        Assert.InRange(outcome.FailDelay, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3.1));
        Assert.True(took < outcome.FailDelay, $"pam_authenticate took {took}, as if it had slept the {outcome.FailDelay} itself");
    }

    [Fact]
    public async Task The_failure_delay_is_waited_out_without_holding_the_pam_thread()
    {
        SystemAccount.SkipUnlessPossible();
        await using var account = await SystemAccount.CreateAsync();
        using var workers = new PamWorkers(threads: 1);
        var time = new FakeTimeProvider();
        var verifier = new PamCredentialVerifier(SystemAccount.ServiceWithoutFile, time, workers);
        using var deadline = new CancellationTokenSource(Bound);

        // pam_unix asks for about 2 s after a failure. On the fake clock it never passes by itself.
        Task<CredentialVerdict> wrong = verifier.VerifyAsync(account.Name, "wrong-1929", Client, deadline.Token).AsTask();
        // Queued behind the failure on the only PAM thread: it completes only if that thread is
        // free again while the failure's answer is still waiting for its delay.
        CredentialVerdict right = await verifier.VerifyAsync(account.Name, account.Password, Client, deadline.Token).AsTask().WaitAsync(Bound);

        Assert.True(right.Accepted);
        Assert.False(wrong.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False((await wrong.WaitAsync(Bound)).Accepted);
    }
}
