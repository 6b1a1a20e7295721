using System.Net;
using System.Net.Sockets;

namespace Windsock.Cli.Run;

/// <summary>
/// The syscall engine's resolver: a UDP socket on 127.0.0.1 to which the launcher connects every UDP
/// socket of the program that connects to port 53, answered by <see cref="DnsAnswer"/>.
/// </summary>
internal sealed class DnsResponder : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly MappedAddresses _mapped;
    private readonly Action<string>? _explain;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    private DnsResponder(Socket socket, MappedAddresses mapped, Action<string>? explain)
    {
        _socket = socket;
        _mapped = mapped;
        _explain = explain;
        _serving = ServeAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public static DnsResponder Start(MappedAddresses mapped, Action<string>? explain)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return new DnsResponder(socket, mapped, explain);
    }

    private async Task ServeAsync()
    {
        byte[] buffer = new byte[4096];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                continue; // an ICMP error for an earlier answer: the next query is unaffected
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            byte[]? answer = DnsAnswer.Respond(buffer.AsSpan(0, received.ReceivedBytes), _mapped, out string? explanation);
            if (explanation is not null)
            {
                _explain?.Invoke(explanation);
            }

            if (answer is not null)
            {
                try
                {
                    await _socket.SendToAsync(answer, SocketFlags.None, received.RemoteEndPoint, _stop.Token).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    // The asker is gone; nothing else depends on this answer.
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
                {
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _serving.ConfigureAwait(false);
        _stop.Dispose();
    }
}
