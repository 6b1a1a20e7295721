namespace Windsock.Server.Sessions;

/// <summary>The client closed its side before the handshake was complete.</summary>
public sealed class PeerClosedException : Exception
{
    public PeerClosedException()
        : base("client closed the connection during the handshake")
    {
    }

    public PeerClosedException(string message)
        : base(message)
    {
    }

    public PeerClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
