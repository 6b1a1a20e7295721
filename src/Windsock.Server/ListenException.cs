using System.Net;
using System.Net.Sockets;

namespace Windsock.Server;

/// <summary>A listener could not be bound; the message says which address and what to do.</summary>
public sealed class ListenException : Exception
{
    public ListenException(IPEndPoint endPoint, SocketException inner)
        : base(Describe(endPoint, inner), inner)
    {
        EndPoint = endPoint;
    }

    public ListenException()
    {
    }

    public ListenException(string message)
        : base(message)
    {
    }

    public ListenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public IPEndPoint? EndPoint { get; }

    private static string Describe(IPEndPoint endPoint, SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => $"cannot listen on {endPoint}: the port is in use by another program (is another windsock running?). Choose another port with --listen.",
        SocketError.AddressNotAvailable => $"cannot listen on {endPoint}: this machine has no such address. Use one of its addresses, 0.0.0.0 or [::].",
        SocketError.AccessDenied => $"cannot listen on {endPoint}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE).",
        _ => $"cannot listen on {endPoint}: {e.Message}",
    };
}
