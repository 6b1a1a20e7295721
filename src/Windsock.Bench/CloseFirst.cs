namespace Windsock.Bench;

/// <summary>
/// connrate: which end of each connection closes first. It decides who holds TIME_WAIT: when the client
/// closes first, the proxy's outbound socket closes actively and its ephemeral port waits out TIME_WAIT,
/// which exhausts the ports of a proxy that binds before connecting; when the server (the echo target)
/// closes first, the proxy must notice the target's FIN, pass it on and close both sides itself.
/// </summary>
public enum CloseFirst
{
    /// <summary>The client closes after reading its echo (the default, and what most clients do).</summary>
    Client,

    /// <summary>The echo server closes right after echoing; the client waits for end of stream, then closes.</summary>
    Server,
}
