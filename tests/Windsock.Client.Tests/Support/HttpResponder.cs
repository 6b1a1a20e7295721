using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Windsock.Client.Tests.Support;

/// <summary>A loopback HTTP/1.1 server that answers every request with the same body and closes.</summary>
internal sealed class HttpResponder : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly byte[] _body;

    public HttpResponder(byte[] body)
    {
        _body = body;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        _serving = ServeAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public int Requests;

    private async Task ServeAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptAsync(_stop.Token);
                _ = AnswerAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task AnswerAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                var request = new List<byte>();
                var buffer = new byte[4096];
                while (!EndsHeaders(request))
                {
                    int n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    request.AddRange(buffer.AsSpan(0, n));
                }

                Interlocked.Increment(ref Requests);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {_body.Length}\r\nConnection: close\r\n\r\n");
                await socket.SendAsync(head, SocketFlags.None, _stop.Token);
                await socket.SendAsync(_body, SocketFlags.None, _stop.Token);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private static bool EndsHeaders(List<byte> request) =>
        request.Count >= 4 && request[^4] == '\r' && request[^3] == '\n' && request[^2] == '\r' && request[^1] == '\n';

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _serving;
        _stop.Dispose();
    }
}
