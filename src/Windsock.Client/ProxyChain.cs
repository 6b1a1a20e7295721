using System.Collections;

namespace Windsock.Client;

/// <summary>
/// Proxies to pass through in order: the client connects to the first, asks it to CONNECT to the
/// second, and so on; the last hop carries out the actual command. Each hop has its own protocol and credentials.
/// </summary>
public sealed class ProxyChain : IReadOnlyList<ProxyHop>
{
    private readonly ProxyHop[] _hops;

    /// <summary>A chain of <paramref name="hops"/>, first to last.</summary>
    /// <param name="hops">The proxies in the order the connection passes them; at least one.</param>
    /// <exception cref="ArgumentNullException"><paramref name="hops"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="hops"/> is empty or contains null.</exception>
    public ProxyChain(params ProxyHop[] hops)
        : this((IEnumerable<ProxyHop>)hops)
    {
    }

    /// <summary>A chain of <paramref name="hops"/>, first to last; the sequence is copied.</summary>
    /// <param name="hops">The proxies in the order the connection passes them; at least one.</param>
    /// <exception cref="ArgumentNullException"><paramref name="hops"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="hops"/> is empty or contains null.</exception>
    public ProxyChain(IEnumerable<ProxyHop> hops)
    {
        ArgumentNullException.ThrowIfNull(hops);
        _hops = [.. hops];
        if (_hops.Length == 0)
        {
            throw new ArgumentException("A proxy chain needs at least one hop.", nameof(hops));
        }

        if (Array.IndexOf(_hops, null) >= 0)
        {
            throw new ArgumentException("A proxy chain cannot contain null hops.", nameof(hops));
        }
    }

    /// <summary>The number of hops, at least 1.</summary>
    public int Count => _hops.Length;

    /// <summary>The hop at <paramref name="index"/>, from 0 (the one this machine connects to).</summary>
    /// <param name="index">Zero-based position in the chain.</param>
    /// <exception cref="IndexOutOfRangeException"><paramref name="index"/> is outside the chain.</exception>
    public ProxyHop this[int index] => _hops[index];

    /// <summary>The hops, first to last.</summary>
    /// <returns>An enumerator over the hops.</returns>
    public IEnumerator<ProxyHop> GetEnumerator() => ((IEnumerable<ProxyHop>)_hops).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _hops.GetEnumerator();

    /// <summary>The hops as URIs joined by " -> ", without credentials.</summary>
    /// <returns>E.g. <c>socks4a://a.example:1080 -> socks5h://b.example:1080</c>.</returns>
    public override string ToString() => string.Join(" -> ", _hops.Select(h => h.ToString()));
}
