using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Windsock.Client.Gssapi;
using Windsock.Protocol.Gssapi;
using Xunit;

namespace Windsock.Client.Tests.Support;

/// <summary>
/// A client <see cref="GssapiStream"/> on one end of a loopback TCP connection and, on the other, the raw
/// socket with the acceptor's own context: the test writes and reads RFC 1961 frames by hand there.
/// </summary>
internal sealed class GssapiPair : IAsyncDisposable
{
    private GssapiPair(GssapiStream client, Socket server, NegotiateAuthentication serverContext)
    {
        Client = client;
        Server = server;
        ServerContext = serverContext;
    }

    public GssapiStream Client { get; }

    public Socket Server { get; }

    public NegotiateAuthentication ServerContext { get; }

    public static async Task<GssapiPair> CreateAsync(GssapiProtectionLevel granted, CancellationToken cancellationToken)
    {
        var (client, server) = EstablishContexts();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = listener.AcceptAsync(cancellationToken);
        await clientSocket.ConnectAsync(listener.LocalEndPoint!, cancellationToken);
        var serverSocket = await accepting;
        var stream = new GssapiStream(new NetworkStream(clientSocket, ownsSocket: true), clientSocket, new GssapiSession(client, granted, granted));
        return new GssapiPair(stream, serverSocket, server);
    }

    /// <summary>A Kerberos context pair for rcmd/localhost, tokens passed in memory; alice from the ticket cache.</summary>
    public static (NegotiateAuthentication Client, NegotiateAuthentication Server) EstablishContexts()
    {
        var client = new NegotiateAuthentication(new NegotiateAuthenticationClientOptions
        {
            Package = "Kerberos",
            TargetName = Kerberos.Target,
            RequiredProtectionLevel = ProtectionLevel.EncryptAndSign,
            RequireMutualAuthentication = true,
        });
        var server = new NegotiateAuthentication(new NegotiateAuthenticationServerOptions { Package = "Kerberos" });
        byte[]? toServer = client.GetOutgoingBlob(ReadOnlySpan<byte>.Empty, out var clientStatus);
        while (clientStatus == NegotiateAuthenticationStatusCode.ContinueNeeded)
        {
            byte[]? toClient = server.GetOutgoingBlob(toServer, out var serverStatus);
            Assert.True(serverStatus is NegotiateAuthenticationStatusCode.Completed or NegotiateAuthenticationStatusCode.ContinueNeeded, $"acceptor: {serverStatus}");
            toServer = client.GetOutgoingBlob(toClient, out clientStatus);
        }

        Assert.Equal(NegotiateAuthenticationStatusCode.Completed, clientStatus);
        Assert.True(server.IsAuthenticated);
        return (client, server);
    }

    /// <summary>The acceptor's wrap of <paramref name="plaintext"/> as one encapsulated message.</summary>
    public byte[] ServerFrame(ReadOnlySpan<byte> plaintext, bool encrypt = true)
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(NegotiateAuthenticationStatusCode.Completed, ServerContext.Wrap(plaintext, writer, encrypt, out _));
        var frame = new byte[GssapiMessage.HeaderLength + writer.WrittenCount];
        GssapiMessage.Write(frame, GssapiMessageType.Encapsulated, writer.WrittenSpan);
        return frame;
    }

    /// <summary>Reads one whole frame from the client's side of the wire and checks its header.</summary>
    public async Task<byte[]> ReadClientTokenAsync(CancellationToken cancellationToken)
    {
        var head = await Echo.ReadExactlyAsync(Server, GssapiMessage.HeaderLength, cancellationToken);
        Assert.Equal(GssapiMessage.Version, head[0]);
        Assert.Equal((byte)GssapiMessageType.Encapsulated, head[1]);
        int length = (head[2] << 8) | head[3];
        Assert.InRange(length, 1, GssapiMessage.MaxTokenLength);
        return await Echo.ReadExactlyAsync(Server, length, cancellationToken);
    }

    public byte[] ServerUnwrap(byte[] token, out bool encrypted)
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(NegotiateAuthenticationStatusCode.Completed, ServerContext.Unwrap(token, writer, out encrypted));
        return writer.WrittenSpan.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        Server.Dispose();
        ServerContext.Dispose();
    }
}
