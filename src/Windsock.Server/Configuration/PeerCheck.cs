namespace Windsock.Server.Configuration;

/// <summary>Which peers a BIND listener accepts.</summary>
public enum PeerCheck
{
    /// <summary>Only a peer whose address is the request's DST.ADDR (any peer when DST.ADDR is 0.0.0.0 or ::).</summary>
    Strict,

    /// <summary>The first peer that connects, wherever it comes from.</summary>
    Loose,
}
