using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>
/// The GSSAPI negotiation against clients that never get as far as a real ticket: no realm is needed, the
/// acceptor is never reached (the keytab need not exist; MIT only records its name).
/// </summary>
public sealed class GssapiNegotiationTests
{
    private static TestServer Start(string? servicePrincipal = null) =>
        TestServer.Start(o => o with
        {
            Gssapi = new GssapiOptions { Keytab = "/nonexistent/windsock-review.keytab", ServicePrincipal = servicePrincipal },
        });

    [Theory]
    [InlineData(new byte[] { 0x02, 0x01, 0x00, 0x00 })] // VER 2
    [InlineData(new byte[] { 0x01, 0x04, 0x00, 0x00 })] // MTYP 4
    [InlineData(new byte[] { 0x05, 0x01, 0x00, 0x01 })] // a SOCKS5 request where the context token belongs
    public async Task A_frame_that_is_not_RFC_1961_is_a_failed_negotiation_with_an_abort_not_an_internal_error(byte[] frame)
    {
        await using var server = Start();
        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            Assert.Equal((byte)AuthMethod.Gssapi, await client.GreetAsync(AuthMethod.Gssapi));
            await client.SendAsync(frame);
            Assert.Equal(new byte[] { 0x01, 0xFF }, await client.ReadToEndAsync());
        }

        var line = await server.WaitForLineAsync(l => l.Contains("gssapi", StringComparison.Ordinal) && !l.Contains("event=request", StringComparison.Ordinal));
        Assert.DoesNotContain("internal error", line, StringComparison.Ordinal);
        Assert.Contains("not an RFC 1961 message", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_service_principal_a_first_token_whose_service_cannot_be_read_is_refused_before_the_acceptor()
    {
        await using var server = Start("rcmd/proxy.example.org");
        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            Assert.Equal((byte)AuthMethod.Gssapi, await client.GreetAsync(AuthMethod.Gssapi));
            // A context token that is not a Kerberos InitialContextToken (here: the SPNEGO OID).
            byte[] token = [0x60, 0x08, 0x06, 0x06, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x02];
            await client.SendAsync([0x01, 0x01, 0x00, (byte)token.Length, .. token]);
            Assert.Equal(new byte[] { 0x01, 0xFF }, await client.ReadToEndAsync());
        }

        var line = await server.WaitForLineAsync(l => l.Contains("gssapi:", StringComparison.Ordinal));
        Assert.Contains("only accepts rcmd/proxy.example.org", line, StringComparison.Ordinal);
    }
}
