namespace Windsock.Server.Gssapi;

/// <summary>
/// A GSSAPI session cannot go on: the context failed, the client aborted, a message did not unwrap. The
/// message is the request log's end reason, beginning with "gssapi:".
/// </summary>
public sealed class GssapiFailureException : Exception
{
    public GssapiFailureException()
    {
    }

    public GssapiFailureException(string message)
        : base(message)
    {
    }

    public GssapiFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
