using Windsock.Protocol;

namespace Windsock.Server.Sessions;

/// <summary>The client sent bytes that can never become a valid message; the session answers where it can and ends.</summary>
public sealed class SocksProtocolException : Exception
{
    public SocksProtocolException(ProtocolError error)
        : base($"protocol error: {error}")
    {
        Error = error;
    }

    public SocksProtocolException(string message)
        : base(message)
    {
    }

    public SocksProtocolException()
    {
    }

    public SocksProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ProtocolError Error { get; }
}
