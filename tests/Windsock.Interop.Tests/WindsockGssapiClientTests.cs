using System.Globalization;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// `windsock connect --gssapi` (real process, alice's ticket cache) against `windsock serve` with [gssapi]
/// (real process, the realm's keytab): the Windsock client and server speaking RFC 1961 to each other.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class WindsockGssapiClientTests(GssapiRealmFixture realm, LoopbackTargets targets) : IClassFixture<GssapiRealmFixture>
{
    private Task<ProcessResult> ConnectAsync(WindsockProcess server, string protection, byte[] stdin, string cache) =>
        ProcessRunner.RunAsync(
            Tools.Dotnet,
            [Tools.WindsockDll, "connect", "127.0.0.1", targets.Echo.Port.ToString(CultureInfo.InvariantCulture),
                "--proxy", $"socks5h://localhost:{server.IPv4.Port}", "--gssapi", "--gssapi-protection", protection],
            stdin: stdin,
            environment: realm.ClientEnvironment(cache));

    [Theory]
    [InlineData("clear")]
    [InlineData("integrity")]
    [InlineData("confidentiality")]
    public async Task Connect_echoes_a_MiB_byte_exact_through_windsock_serve(string protection)
    {
        var payload = Clients.Payload(1024 * 1024, seed: 1961);
        var result = await ConnectAsync(realm.Protected, protection, payload, realm.AliceCache);
        Assert.True(result.ExitCode == 0 && result.Stdout.AsSpan().SequenceEqual(payload), $"{result.Describe()}\n{realm.Protected.Transcript()}");
    }

    [Fact]
    public async Task Connect_refuses_a_server_that_grants_only_integrity_when_confidentiality_is_required()
    {
        var result = await ConnectAsync(realm.IntegrityOnly, "confidentiality", [], realm.AliceCache);
        Assert.Equal(1, result.ExitCode);
        Assert.True(result.StderrMentions("below the required 'confidentiality'"), result.Describe());
    }

    [Fact]
    public async Task A_principal_the_rules_deny_is_refused_with_the_servers_reason()
    {
        var result = await ConnectAsync(realm.Protected, "confidentiality", [], realm.BobCache);
        Assert.Equal(1, result.ExitCode);
        Assert.True(result.StderrMentions("not allowed by ruleset"), result.Describe());
    }
}
