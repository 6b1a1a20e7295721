using System.Net;
using System.Net.Sockets;

namespace Windsock.Client.Tests.Support;

/// <summary>
/// A loopback port whose SYNs get no answer, as from a host that drops them: a listener that never accepts,
/// its accept queue filled with connections. Linux drops a SYN to a listener whose queue is full, so a
/// connect to it hangs until the client gives up; nothing leaves the loopback interface.
/// </summary>
internal sealed class StalledListener : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _fillers = [];

    public StalledListener()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(0);

        // Bounded: a queue of backlog 0 holds one or two connections; stop at the first that does not complete.
        for (int i = 0; i < 8; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _fillers.Add(filler);
            if (!filler.ConnectAsync(EndPoint).Wait(TimeSpan.FromMilliseconds(300)))
            {
                return;
            }
        }

        throw new InvalidOperationException("the accept queue never filled: every connect completed");
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public void Dispose()
    {
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        _listener.Dispose();
    }
}
