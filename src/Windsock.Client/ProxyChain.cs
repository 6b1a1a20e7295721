using System.Collections;

namespace Windsock.Client;

/// <summary>
/// Proxies to pass through in order: the client connects to the first, asks it to CONNECT to the
/// second, and so on; the last hop carries out the actual command. Each hop has its own protocol and credentials.
/// </summary>
public sealed class ProxyChain : IReadOnlyList<ProxyHop>
{
    private readonly ProxyHop[] _hops;

    public ProxyChain(params ProxyHop[] hops)
        : this((IEnumerable<ProxyHop>)hops)
    {
    }

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

    public int Count => _hops.Length;

    public ProxyHop this[int index] => _hops[index];

    public IEnumerator<ProxyHop> GetEnumerator() => ((IEnumerable<ProxyHop>)_hops).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _hops.GetEnumerator();

    public override string ToString() => string.Join(" -> ", _hops.Select(h => h.ToString()));
}
