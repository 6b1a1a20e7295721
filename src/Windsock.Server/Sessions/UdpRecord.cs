using System.Globalization;
using System.Net;
using System.Text;
using Windsock.Server.Udp;

namespace Windsock.Server.Sessions;

/// <summary>
/// What the request log says about a UDP association beyond the session's byte counts: the relay
/// address given to the client, datagrams each way, and datagrams dropped by reason.
/// Written by the association's loop and read by the log writer, hence the interlocked counters.
/// </summary>
public sealed class UdpRecord
{
    private readonly long[] _drops = new long[Enum.GetValues<UdpDropReason>().Length];
    private long _datagramsUp;
    private long _datagramsDown;

    public UdpRecord(IPEndPoint relay)
    {
        Relay = relay;
    }

    /// <summary>The BND.ADDR/PORT sent in the reply: where the client sends its datagrams.</summary>
    public IPEndPoint Relay { get; }

    public long DatagramsUp => Interlocked.Read(ref _datagramsUp);

    public long DatagramsDown => Interlocked.Read(ref _datagramsDown);

    public long Dropped
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _drops.Length; i++)
            {
                total += Interlocked.Read(ref _drops[i]);
            }

            return total;
        }
    }

    public void AddUp() => Interlocked.Increment(ref _datagramsUp);

    public void AddDown() => Interlocked.Increment(ref _datagramsDown);

    public void AddDrop(UdpDropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    public long Drops(UdpDropReason reason) => Interlocked.Read(ref _drops[(int)reason]);

    /// <summary>"malformed=2 fragmented=1": only the reasons that occurred; null when nothing was dropped.</summary>
    public string? DropSummary()
    {
        StringBuilder? text = null;
        foreach (var reason in Enum.GetValues<UdpDropReason>())
        {
            long count = Drops(reason);
            if (count == 0)
            {
                continue;
            }

            text = text is null ? new StringBuilder() : text.Append(' ');
            text.Append(Name(reason)).Append('=').Append(count.ToString(CultureInfo.InvariantCulture));
        }

        return text?.ToString();
    }

    /// <summary>The reason as the log writes it: snake_case, stable across releases.</summary>
    public static string Name(UdpDropReason reason) => reason switch
    {
        UdpDropReason.Malformed => "malformed",
        UdpDropReason.Fragmented => "fragmented",
        UdpDropReason.WrongSourcePort => "wrong_source_port",
        UdpDropReason.UnknownSender => "unknown_sender",
        UdpDropReason.Unresolved => "unresolved",
        UdpDropReason.Denied => "denied",
        UdpDropReason.InvalidDestination => "invalid_destination",
        UdpDropReason.TooManyPeers => "too_many_peers",
        UdpDropReason.Unprotected => "unprotected",
        UdpDropReason.RateLimited => "rate_limited",
        _ => "send_failed",
    };
}
