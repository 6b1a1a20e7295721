using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
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

    public UdpNameCache(TimeProvider time, TimeSpan lookupTimeout)
    {
        _time = time;
        _lookupTimeout = lookupTimeout;
    }

    /// <summary>How long an answer is used. Shorter than most DNS TTLs, and we cannot see the TTL through getaddrinfo.</summary>
    public static TimeSpan PositiveLifetime { get; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a failed lookup is remembered.</summary>
    public static TimeSpan NegativeLifetime { get; } = TimeSpan.FromSeconds(5);

    public int Count => _entries.Count;

    /// <summary>
    /// The address to send to, or null when the name does not resolve. With <paramref name="ipv6Usable"/>
    /// false only IPv4 answers are taken (a relay without IPv6 cannot send to the others).
    /// </summary>
    public async ValueTask<IPAddress?> ResolveAsync(string host, bool ipv6Usable, CancellationToken cancellationToken)
    {
        long now = _time.GetTimestamp();
        if (_entries.TryGetValue(host, out var cached) && now < cached.ExpiresAt)
        {
            return Pick(cached.Addresses, ipv6Usable);
        }

        // A name the resolver refuses (such as "0") is remembered as a failure like any other: the datagram is
        // dropped and counted, and the association goes on.
        IPAddress[] addresses;
        using (var deadline = new CancellationTokenSource(_lookupTimeout, _time))
        {
            addresses = (await NameLookup.ResolveAsync(host, _lookupTimeout, deadline.Token, cancellationToken).ConfigureAwait(false)).Addresses;
        }

        var lifetime = addresses.Length == 0 ? NegativeLifetime : PositiveLifetime;
        Store(host, new Entry(addresses, _time.GetTimestamp() + (long)(lifetime.TotalSeconds * _time.TimestampFrequency)));
        return Pick(addresses, ipv6Usable);
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

    private static IPAddress? Pick(IPAddress[] addresses, bool ipv6Usable)
    {
        foreach (var address in addresses)
        {
            var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            if (ipv6Usable || plain.AddressFamily == AddressFamily.InterNetwork)
            {
                return plain;
            }
        }

        return null;
    }

    private readonly record struct Entry(IPAddress[] Addresses, long ExpiresAt);
}
