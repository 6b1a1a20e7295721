namespace Windsock.Server.Loops;

/// <summary>A socket's owner on the <see cref="DatagramLoop"/>: called on the loop's thread when the socket is readable.</summary>
internal interface IDatagramReadable
{
    /// <summary>
    /// Receives (at most one datagram: the socket stays reported while more are queued) and handles or hands off what
    /// arrived. Must not block; <paramref name="buffer"/> is the loop's, valid only during the call.
    /// </summary>
    void OnReadable(byte[] buffer);

    /// <summary>OnReadable threw: stop using the socket (the loop goes on with the others).</summary>
    void Fail(Exception error);
}
