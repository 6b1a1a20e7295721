using System.Net;
using System.Net.Sockets;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Sessions;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Limits;

/// <summary>
/// What an unauthenticated GSSAPI peer can make the server hold: a token declared past the limit is
/// refused from its 4-byte header, with an abort and the limit in the log, and the handshake buffer
/// stays at its initial size.
/// </summary>
public sealed class PreAuthenticationBufferTests
{
    private const int InitialBufferSize = 2048;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_reader_refuses_a_declared_65535_byte_token_from_its_header_without_growing()
    {
        var (server, client) = await ConnectedPairAsync();
        using (server)
        using (client)
        {
            using var reader = new HandshakeReader(server);
            // The whole frame is sent: before the limit the reader took it all into a 128 KiB pooled array.
            byte[] frame = new byte[4 + 65_535];
            frame[0] = 0x01;
            frame[1] = 0x01;
            frame[2] = 0xFF;
            frame[3] = 0xFF;
            var sending = client.SendAsync(frame, SocketFlags.None);

            var e = await Assert.ThrowsAsync<HandshakeLimitException>(() => reader.ReadGssapiMessageAsync(CancellationToken.None).AsTask().WaitAsync(Bounded));
            Assert.Equal($"limit gssapi_token_unauthenticated={HandshakeReader.MaxUnauthenticatedTokenLength} exceeded: the client declared a 65535-byte token before authenticating", e.Message);
            Assert.Equal(InitialBufferSize, reader.Capacity);
            client.Dispose();
            await Task.WhenAny(sending).WaitAsync(Bounded);
        }
    }

    [Fact]
    public async Task The_reader_still_takes_a_token_of_exactly_the_limit()
    {
        var (server, client) = await ConnectedPairAsync();
        using (server)
        using (client)
        {
            using var reader = new HandshakeReader(server);
            int length = HandshakeReader.MaxUnauthenticatedTokenLength;
            byte[] frame = new byte[4 + length];
            frame[0] = 0x01;
            frame[1] = 0x01;
            frame[2] = (byte)(length >> 8);
            frame[3] = (byte)length;
            frame[^1] = 0x5A;
            var sending = client.SendAsync(frame, SocketFlags.None);

            var (message, token) = await reader.ReadGssapiMessageAsync(CancellationToken.None).AsTask().WaitAsync(Bounded);
            Assert.Equal(length, message.TokenLength);
            Assert.Equal(0x5A, token.Span[^1]);
            Assert.True(reader.Capacity <= 32 * 1024, $"buffer grew to {reader.Capacity}");
            await sending.WaitAsync(Bounded);
        }
    }

    [Fact]
    public async Task The_server_aborts_an_oversized_declaration_and_logs_the_limit()
    {
        await using var server = TestServer.Start(o => o with
        {
            Gssapi = new GssapiOptions { Keytab = "/nonexistent/windsock-review.keytab" },
        });
        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            Assert.Equal((byte)AuthMethod.Gssapi, await client.GreetAsync(AuthMethod.Gssapi));
            await client.SendAsync(0x01, 0x01, 0xFF, 0xFF); // a 65,535-byte context token is announced, and never sent
            Assert.Equal(new byte[] { 0x01, 0xFF }, await client.ReadToEndAsync());
        }

        var line = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("gssapi: limit gssapi_token_unauthenticated=32764 exceeded: the client declared a 65535-byte token", line, StringComparison.Ordinal);
    }

    private static async Task<(Socket Server, Socket Client)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!).WaitAsync(Bounded);
        return (await accepting.WaitAsync(Bounded), client);
    }
}
