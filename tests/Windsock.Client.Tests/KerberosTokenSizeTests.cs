using System.Net.Security;
using Windsock.Client.Tests.Support;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>
/// The measurement behind the server's pre-authentication GSSAPI token limit: the initial context token a
/// real client sends for rcmd/localhost in the test realm (MIT Kerberos, AES keys), next to the limit.
/// </summary>
public class KerberosTokenSizeTests(KerberosFixture kerberos)
{
    [Fact]
    public async Task A_real_kerberos_initial_token_is_far_below_the_pre_authentication_limit()
    {
        await kerberos.GetAsync();
        using var client = new NegotiateAuthentication(new NegotiateAuthenticationClientOptions
        {
            Package = "Kerberos",
            TargetName = Kerberos.Target,
            RequiredProtectionLevel = ProtectionLevel.EncryptAndSign,
            RequireMutualAuthentication = true,
        });
        byte[]? token = client.GetOutgoingBlob(ReadOnlySpan<byte>.Empty, out var status);

        Assert.Equal(NegotiateAuthenticationStatusCode.ContinueNeeded, status);
        Assert.NotNull(token);
        TestContext.Current.TestOutputHelper?.WriteLine($"initial Kerberos token: {token.Length} bytes; limit {ClientLimits.MaxUnauthenticatedGssapiToken}");
        Assert.InRange(token.Length, 200, ClientLimits.MaxUnauthenticatedGssapiToken / 16);
    }
}
