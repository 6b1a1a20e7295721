namespace Windsock.Client.Gssapi;

/// <summary>The proxy sent RFC 1961's abort (MTYP X'FF') on a protected connection; handshakes report it as <see cref="SocksErrorKind.GssapiAborted"/>.</summary>
internal sealed class GssapiAbortedException : IOException
{
    public GssapiAbortedException()
    {
    }

    public GssapiAbortedException(string message)
        : base(message)
    {
    }

    public GssapiAbortedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
