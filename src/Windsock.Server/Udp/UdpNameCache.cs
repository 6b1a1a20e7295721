using System.Collections.Concurrent;
using System.Net;
using Windsock.Server.Metrics;
using Windsock.Server.Outbound;

namespace Windsock.Server.Udp;

/// <summary>
/// Resolves the destination names in clients' datagrams with the system resolver and keeps each
/// answer briefly. A UDP client names its destination in every datagram (a DNS client sends dozens),
/// and a lookup per datagram would put the resolver's latency on each one and load the site's DNS.
/// Failures are kept too, for less time, so a client repeating an unknown name cannot make the
/// server query it at the datagram rate. Shared by every association of a server; bounded in size.
/// </summary>
public sealed class UdpNameCache
{
    public const int MaxEntries = 4096;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;
    private readonly TimeSpan _lookupTimeout;
    private readonly ServerMetrics? _metrics;

    public UdpNameCache(TimeProvider time, TimeSpan lookupTimeout, ServerMetrics? metrics = null)
    {
        _time = time;
        _lookupTimeout = lookupTimeout;
        _metrics = metrics;
    }

    /// <summary>How long an answer is used. Shorter than most DNS TTLs, and we cannot see the TTL through getaddrinfo.</summary>
    public static TimeSpan PositiveLifetime { get; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a failed lookup is remembered.</summary>
    public static TimeSpan NegativeLifetime { get; } = TimeSpan.FromSeconds(5);

    public int Count => _entries.Count;

    /// <summary>
    /// The name's addresses in the resolver's order (IPv4-mapped ones as plain IPv4), or none when it does not
    /// resolve. Which of them the relay can use, and which the rules allow, is the association's to decide.
    /// </summary>
    public async ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        long now = _time.GetTimestamp();
        if (_entries.TryGetValue(host, out var cached) && now < cached.ExpiresAt)
        {
            return cached.Addresses;
        }

        // A name the resolver refuses (such as "0") is remembered as a failure like any other: the datagram is
        // dropped and counted, and the association goes on.
        IPAddress[] addresses;
        using (var deadline = new CancellationTokenSource(_lookupTimeout, _time))
        {
            addresses = (await NameLookup.ResolveAsync(host, _lookupTimeout, deadline.Token, cancellationToken, _metrics).ConfigureAwait(false)).Addresses;
        }

        var lifetime = addresses.Length == 0 ? NegativeLifetime : PositiveLifetime;
        Store(host, new Entry(addresses, _time.GetTimestamp() + (long)(lifetime.TotalSeconds * _time.TimestampFrequency)));
        return addresses;
    }

    private void Store(string host, Entry entry)
    {
        if (_entries.Count >= MaxEntries && !_entries.ContainsKey(host))
        {
            long now = _time.GetTimestamp();
            foreach (var (key, value) in _entries)
            {
                if (value.ExpiresAt <= now)
                {
                    _entries.TryRemove(key, out _);
                }
            }

            if (_entries.Count >= MaxEntries)
            {
                // Every entry is fresh: a client is spraying names. Start over rather than grow.
                _entries.Clear();
            }
        }

        _entries[host] = entry;
    }

    private readonly record struct Entry(IPAddress[] Addresses, long ExpiresAt);
}
