using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Windsock.Protocol.Socks5;
using Windsock.Server.Metrics;

namespace Windsock.Server.Outbound;

/// <summary>
/// A destination name looked up with the system resolver, as CONNECT, BIND and UDP do it. Every way a
/// lookup can fail is an answer here (a reply code and a reason for the request log), never an exception:
/// besides <see cref="SocketException"/>, the resolver throws <see cref="ArgumentException"/> for names it
/// refuses outright, such as <c>0</c>, <c>0.0.0.0</c> or <c>::</c> (text that parses as the unspecified
/// address) and over-long names. Those are a client's bad input, answered like any name that does not resolve.
/// </summary>
public readonly record struct NameLookup
{
    private NameLookup(IPAddress[] addresses, Socks5ReplyCode code, string? failure)
    {
        Addresses = addresses;
        Code = code;
        Failure = failure;
    }

    /// <summary>The addresses in the resolver's order, IPv4-mapped ones as plain IPv4; empty on failure.</summary>
    public IPAddress[] Addresses { get; }

    /// <summary>The reply for a failure: 4 (host unreachable) or 6 (TTL expired: the lookup timed out).</summary>
    public Socks5ReplyCode Code { get; }

    /// <summary>Why the lookup failed ("cannot resolve NAME: HostNotFound"); null when it found addresses.</summary>
    public string? Failure { get; }

    public bool Succeeded => Failure is null;

    /// <summary>Resolves <paramref name="host"/> until <paramref name="deadline"/> (a lookup timeout, reported as TTL expired) or <paramref name="cancellationToken"/> (thrown).</summary>
    /// <param name="host">The name as the client sent it.</param>
    /// <param name="timeout">The deadline's length, for the failure text.</param>
    /// <param name="deadline">Cancelled when the lookup has taken too long.</param>
    /// <param name="cancellationToken">Session shutdown.</param>
    /// <param name="metrics">Where the lookup's time and outcome are counted (windsock_dns_duration_seconds).</param>
    public static async Task<NameLookup> ResolveAsync(string host, TimeSpan timeout, CancellationToken deadline, CancellationToken cancellationToken, ServerMetrics? metrics = null)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var lookup = await LookUpAsync(host, timeout, deadline, cancellationToken).ConfigureAwait(false);
        metrics?.Resolved(lookup.Succeeded ? "ok" : lookup.Code == Socks5ReplyCode.TtlExpired ? "timeout" : "failed", System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return lookup;
    }

    private static async Task<NameLookup> LookUpAsync(string host, TimeSpan timeout, CancellationToken deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline, cancellationToken);
        IPAddress[] addresses;
        try
        {
            // On Linux the runtime's lookup does not stop for a token once it has started (glibc waits its own
            // timeout: 5 s per try, twice, by default): the wait is abandoned at the deadline instead, and the
            // lookup left to finish on its own, its outcome observed and dropped. Found by a test whose resolver
            // never answered: the client got reply 4 after 10 s instead of 6 after connect_timeout.
            var lookup = Dns.GetHostAddressesAsync(host, linked.Token);
            _ = lookup.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            addresses = await lookup.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return Unreachable($"cannot resolve {host}: {e.SocketErrorCode}");
        }
        catch (ArgumentException)
        {
            // The text of .NET's message names its parameter; ours names the client's input.
            return Unreachable(IPAddress.TryParse(host, out var literal) && (literal.Equals(IPAddress.Any) || literal.Equals(IPAddress.IPv6Any))
                ? $"cannot resolve {host}: it is the unspecified address, which is no destination"
                : $"cannot resolve {host}: the resolver refuses the name");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new NameLookup([], Socks5ReplyCode.TtlExpired, string.Create(CultureInfo.InvariantCulture, $"resolving {host} timed out after {timeout.TotalSeconds:0.#}s"));
        }

        if (addresses.Length == 0)
        {
            return Unreachable($"{host} has no addresses");
        }

        for (int i = 0; i < addresses.Length; i++)
        {
            if (addresses[i].IsIPv4MappedToIPv6)
            {
                addresses[i] = addresses[i].MapToIPv4();
            }
        }

        return new NameLookup(addresses, Socks5ReplyCode.Succeeded, null);
    }

    private static NameLookup Unreachable(string failure) => new([], Socks5ReplyCode.HostUnreachable, failure);
}
