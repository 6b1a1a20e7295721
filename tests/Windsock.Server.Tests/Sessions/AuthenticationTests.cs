using System.Net;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Authentication;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

public class AuthenticationTests
{
    private sealed class OneUser(string user, string password) : ICredentialVerifier
    {
        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password1, IPAddress client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CredentialVerdict(userName == user && password1 == password, "test"));
    }

    [Fact]
    public async Task Right_password_connects_and_is_logged_with_the_user()
    {
        await using var server = TestServer.Start(credentials: new OneUser("alice", "s3cret"));
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        Assert.Equal((byte)AuthMethod.UsernamePassword, await client.GreetAsync(AuthMethod.None, AuthMethod.UsernamePassword));
        Assert.True(await client.LoginAsync("alice", "s3cret"));
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);

        var line = await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal));
        Assert.Contains("auth=username auth_by=test user=alice", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_fails_cleanly_and_is_logged_without_the_password()
    {
        await using var server = TestServer.Start(credentials: new OneUser("alice", "s3cret"));
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        await client.GreetAsync(AuthMethod.UsernamePassword);
        Assert.False(await client.LoginAsync("alice", "guessed-wrong"));
        Assert.True(await client.IsClosedByServerAsync());

        var line = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("user=alice", line, StringComparison.Ordinal);
        Assert.Contains("authentication failed", line, StringComparison.Ordinal);
        Assert.DoesNotContain("guessed-wrong", string.Join('\n', server.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_offering_only_none_is_refused_when_passwords_are_required()
    {
        await using var server = TestServer.Start(credentials: new OneUser("alice", "s3cret"));
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal((byte)AuthMethod.NoAcceptableMethods, await client.GreetAsync(AuthMethod.None));
    }

    [Fact]
    public async Task Socks4_is_refused_with_91_when_passwords_are_required()
    {
        await using var server = TestServer.Start(credentials: new OneUser("alice", "s3cret"));
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        var reply = await client.ConnectSocks4Async(SocksEndpoint.FromEndPoint(echo.EndPoint), "alice");
        Assert.Equal(Windsock.Protocol.Socks4.Socks4ReplyCode.RejectedOrFailed, reply.Code);
        Assert.True(echo.Peers.IsEmpty);
    }

    [Fact]
    public async Task Malformed_credentials_message_gets_failure_status()
    {
        await using var server = TestServer.Start(credentials: new OneUser("alice", "s3cret"));
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        await client.GreetAsync(AuthMethod.UsernamePassword);
        await client.SendAsync(5, 5, (byte)'a'); // SOCKS version instead of the sub-negotiation's 1
        Assert.Equal(new byte[] { 1, 1 }, await client.ReadExactlyAsync(2));
    }
}
