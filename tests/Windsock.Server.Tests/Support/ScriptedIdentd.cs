using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Windsock.Server.Tests.Support;

/// <summary>
/// A loopback identd that answers every query with what the test scripts: a reply built from the
/// query's own ports, a fixed line, or silence. Records the queries and where they came from.
/// </summary>
internal sealed class ScriptedIdentd : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly Func<string, string?> _answer;

    /// <param name="answer">Given the query line (without CRLF), the reply to send (with its line end), or null to stay silent.</param>
    public ScriptedIdentd(Func<string, string?> answer)
    {
        _answer = answer;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        _serving = ServeAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public ConcurrentQueue<(string Query, IPEndPoint From)> Queries { get; } = new();

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
                var buffer = new byte[256];
                int filled = 0;
                while (Array.IndexOf(buffer, (byte)'\n', 0, filled) < 0 && filled < buffer.Length)
                {
                    int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    filled += n;
                }

                var query = Encoding.ASCII.GetString(buffer, 0, filled).TrimEnd('\r', '\n');
                Queries.Enqueue((query, (IPEndPoint)socket.RemoteEndPoint!));
                if (_answer(query) is { } reply)
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(reply), SocketFlags.None, _stop.Token);
                }
                else
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }
        }
    }

    /// <summary>"a , b" → "a,b:USERID:UNIX:user\r\n".</summary>
    public static string UserReply(string query, string user) => $"{query.Replace(" ", "", StringComparison.Ordinal)}:USERID:UNIX:{user}\r\n";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _serving;
        _stop.Dispose();
    }
}
