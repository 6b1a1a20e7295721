namespace Windsock.Bench;

/// <summary>The proxy refused or garbled the SOCKS5 handshake.</summary>
public sealed class SocksHandshakeException : Exception
{
    public SocksHandshakeException()
    {
    }

    public SocksHandshakeException(string message)
        : base(message)
    {
    }

    public SocksHandshakeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
