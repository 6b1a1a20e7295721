using System.Net;
using Windsock.Server.Authentication;
using Windsock.Server.Authentication.Pam;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

/// <summary>users_file and pam_service together, with a real users file and the host's real PAM stack.</summary>
public sealed class UserFileThenPamVerifierTests
{
    private static readonly PasswordHasher FastHasher = new(iterations: 1000);

    private static async Task<CredentialVerdict> VerifyAsync(ICredentialVerifier verifier, string user, string password)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await verifier.VerifyAsync(user, password, IPAddress.Loopback, deadline.Token);
    }

    [Fact]
    public async Task A_listed_user_is_decided_by_the_file_alone_and_anyone_else_by_pam()
    {
        SystemAccount.SkipUnlessPossible();
        await using var shadowed = await SystemAccount.CreateAsync();
        await using var system = await SystemAccount.CreateAsync();
        // The first system account is also in the users file, with another password.
        UserStore users = UserFile.Parse($"{shadowed.Name}:{FastHasher.Hash("file-password-1929")}\n", "users", FastHasher);
        var verifier = new UserFileThenPamVerifier(users, users, new PamCredentialVerifier(SystemAccount.ServiceWithoutFile, TimeProvider.System));

        Assert.Equal(new CredentialVerdict(true, "file"), await VerifyAsync(verifier, shadowed.Name, "file-password-1929"));
        // Its system password does not open it: the file said no, PAM is not asked.
        Assert.Equal(new CredentialVerdict(false, "file", "wrong password"), await VerifyAsync(verifier, shadowed.Name, shadowed.Password));
        Assert.Equal(new CredentialVerdict(true, "pam"), await VerifyAsync(verifier, system.Name, system.Password));
        Assert.Equal("pam", (await VerifyAsync(verifier, system.Name, "file-password-1929")).Backend);
    }
}
