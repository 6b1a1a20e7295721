namespace Windsock.Server.Sessions;

/// <summary>
/// A client asked the server to hold more than an unauthenticated peer may (a GSSAPI token declared
/// larger than any real Kerberos token). The message is the reason for the logs, naming the limit.
/// </summary>
public sealed class HandshakeLimitException : Exception
{
    public HandshakeLimitException(string message)
        : base(message)
    {
    }

    public HandshakeLimitException()
    {
    }

    public HandshakeLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
