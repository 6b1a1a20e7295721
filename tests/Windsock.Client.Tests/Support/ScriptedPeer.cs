using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Windsock.Client.Tests.Support;

/// <summary>
/// A one-connection loopback server that plays the proxy's side byte by byte: the test says exactly
/// which bytes it expects from the client and what to answer, as Npgsql's PgServerMock does.
/// </summary>
internal sealed class ScriptedPeer : IAsyncDisposable
{
    private readonly Socket _listener;
    private Socket? _connection;

    public ScriptedPeer()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public Socket Connection => _connection ?? throw new InvalidOperationException("No client accepted yet.");

    public async Task AcceptAsync(CancellationToken cancellationToken)
    {
        _connection = await _listener.AcceptAsync(cancellationToken);
    }

    /// <summary>Reads exactly as many bytes as <paramref name="expected"/> and asserts they are those bytes.</summary>
    public async Task ExpectAsync(byte[] expected, CancellationToken cancellationToken)
    {
        if (_connection is null)
        {
            await AcceptAsync(cancellationToken);
        }

        var actual = await Echo.ReadExactlyAsync(Connection, expected.Length, cancellationToken);
        Assert.Equal(expected, actual);
    }

    public async Task SendAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await Connection.SendAsync(bytes, SocketFlags.None, cancellationToken);
    }

    /// <summary>True when the client sent nothing more and closed (bounded).</summary>
    public async Task<bool> ClientClosedAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[1];
        try
        {
            return await Connection.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    public ValueTask DisposeAsync()
    {
        _connection?.Dispose();
        _listener.Dispose();
        return ValueTask.CompletedTask;
    }
}
