using System.Diagnostics.Metrics;
using System.Globalization;
using Windsock.Policy;
using Windsock.Server.Sessions;
using Windsock.Server.Udp;

namespace Windsock.Server.Metrics;

/// <summary>
/// The server's instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>) and the live session list.
/// One instance lives as long as the server: a reload hands it to the next context, so counters never start again.
/// </summary>
/// <remarks>
/// Nothing here is called per datagram or per read. Bytes and UDP datagrams are already counted on each
/// session's record (interlocked adds the request log needs anyway); the instruments for them are observable
/// and add the live records to the totals of ended sessions when a scrape asks. Everything else is counted
/// once per session event (a login, a denial, a connect) with tags that are constants, which costs no
/// allocation. Labels are kept few: no user, client or destination, whose values an attacker would choose.
/// docs/operations.md lists every instrument.
/// </remarks>
public sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "Windsock.Server";

    // Seconds; handshakes and connects on a LAN take milliseconds, a slow resolver or a far site seconds.
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    // BIND waits for a peer such as an FTP server's data connection: up to bind.timeout (an hour at most).
    private static readonly double[] WaitBuckets = [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

    private static readonly string[] Numbers = [.. Enumerable.Range(0, 256).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private readonly Counter<long> _sessions;
    private readonly Counter<long> _authentications;
    private readonly Counter<long> _denials;
    private readonly Counter<long> _replies;
    private readonly Histogram<double> _handshake;
    private readonly Histogram<double> _connect;
    private readonly Histogram<double> _dns;
    private readonly Counter<long> _bindWaits;
    private readonly Histogram<double> _bindWait;
    private readonly Counter<long> _limitHits;
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _upstreamFailures;
    private readonly Counter<long> _upstreamFailovers;
    private readonly object _endGate = new();
    private readonly long[] _endedDrops = new long[Enum.GetValues<UdpDropReason>().Length];
    private long _endedBytesUp;
    private long _endedBytesDown;
    private long _endedDatagramsUp;
    private long _endedDatagramsDown;
    private long _sessionsEnded;

    public ServerMetrics(TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        StartedAt = Time.GetUtcNow();
        Meter = new Meter(MeterName);
        _sessions = Meter.CreateCounter<long>("windsock.sessions", "{session}", "Sessions ended, by command and SOCKS version (counted when the session ends)");
        _authentications = Meter.CreateCounter<long>("windsock.authentications", "{login}", "Authentications by method (none, username, gssapi) and outcome (success, failure, throttled)");
        _denials = Meter.CreateCounter<long>("windsock.denials", "{request}", "Requests denied by the access rules, by the rule that decided (its name, \"rule N\", \"default\" or \"safe_default\")");
        _replies = Meter.CreateCounter<long>("windsock.replies", "{reply}", "Sessions by the last reply code sent (SOCKS5 REP or SOCKS4 CD)");
        _handshake = Meter.CreateHistogram("windsock.handshake.duration", "s", "From accept to a read request: greeting, authentication, request", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _connect = Meter.CreateHistogram("windsock.connect.duration", "s", "Outbound connects after name resolution, by outcome", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _dns = Meter.CreateHistogram("windsock.dns.duration", "s", "Destination name lookups (CONNECT, BIND peers, UDP destinations), by outcome", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _bindWaits = Meter.CreateCounter<long>("windsock.bind.waits", "{wait}", "BIND waits for the peer, by outcome (peer, no_peer)");
        _bindWait = Meter.CreateHistogram("windsock.bind.wait.duration", "s", "How long BIND waited for its peer", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WaitBuckets });
        _limitHits = Meter.CreateCounter<long>("windsock.limit.hits", "{refusal}", "Refusals by a limit, by the limit's name");
        _reloads = Meter.CreateCounter<long>("windsock.reloads", "{reload}", "Configuration reloads, by outcome (ok, failed)");
        _upstreamFailures = Meter.CreateCounter<long>("windsock.upstream.failures", "{attempt}", "Attempts through an upstream route's chain that could not get through (a hop unreachable, refusing the login or failing), by route");
        _upstreamFailovers = Meter.CreateCounter<long>("windsock.upstream.failovers", "{attempt}", "Requests that went on to a route's next chain after one failed, by route");
        Meter.CreateObservableUpDownCounter("windsock.sessions.active", ObserveActive, "{session}", "Sessions open now, by command and SOCKS version (\"none\" while negotiating)");
        Meter.CreateObservableCounter("windsock.relayed", ObserveBytes, "By", "Payload bytes relayed, by direction (up: client to destination)");
        Meter.CreateObservableCounter("windsock.udp.datagrams", ObserveDatagrams, "{datagram}", "UDP datagrams relayed, by direction");
        Meter.CreateObservableCounter("windsock.udp.drops", ObserveDrops, "{datagram}", "UDP datagrams dropped, by reason");
        Meter.CreateObservableCounter("windsock.quiet.collections", static () => QuietCollection.Collections, "{collection}", "Compacting collections run once the server went quiet, giving the memory a burst left back to the system");
    }

    public Meter Meter { get; }

    public TimeProvider Time { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The sessions open now, as the status API and page list them.</summary>
    public LiveSessions Live { get; } = new();

    /// <summary>The latest denials, for the status page.</summary>
    public RecentDenials RecentDenials { get; } = new(50);

    /// <summary>Sessions ended since start (the page's total).</summary>
    public long SessionsEnded => Interlocked.Read(ref _sessionsEnded);

    /// <summary>A session was accepted: it is listed until <see cref="SessionEnded"/>.</summary>
    public LiveSession SessionStarted(SessionRecord record) => Live.Add(record);

    /// <summary>A session is over: its counts move from the live list into the totals, in one step a scrape cannot split.</summary>
    public void SessionEnded(LiveSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var record = session.Record;
        lock (_endGate)
        {
            _endedBytesUp += record.BytesUp;
            _endedBytesDown += record.BytesDown;
            if (record.Udp is { } udp)
            {
                _endedDatagramsUp += udp.DatagramsUp;
                _endedDatagramsDown += udp.DatagramsDown;
                foreach (var reason in Enum.GetValues<UdpDropReason>())
                {
                    _endedDrops[(int)reason] += udp.Drops(reason);
                }
            }

            Live.Remove(session);
        }

        session.Dispose();
        Interlocked.Increment(ref _sessionsEnded);
        string version = VersionLabel(record.VersionName);
        _sessions.Add(1, new("command", record.CommandName ?? "none"), new("version", version));
        if (record.ReplyCode is { } code and >= 0 and < 256)
        {
            _replies.Add(1, new("version", version == "4a" ? "4" : version), new("code", Numbers[code]));
        }
    }

    /// <summary>An authentication finished: <paramref name="method"/> is "none", "username" or "gssapi".</summary>
    public void Authenticated(string method, AuthOutcome outcome) =>
        _authentications.Add(1, new("method", method), new("outcome", outcome switch
        {
            AuthOutcome.Success => "success",
            AuthOutcome.Throttled => "throttled",
            _ => "failure",
        }));

    /// <summary>The access rules denied a request (the request itself, or every address its name resolved to).</summary>
    public void Denied(Decision decision, SessionRecord record)
    {
        ArgumentNullException.ThrowIfNull(decision);
        string rule = RuleLabel(decision);
        _denials.Add(1, new KeyValuePair<string, object?>("rule", rule));
        RecentDenials.Add(rule, decision.Reason, record, Time.GetUtcNow());
    }

    public void HandshakeCompleted(TimeSpan elapsed) => _handshake.Record(elapsed.TotalSeconds);

    /// <summary>An outbound connect finished; <paramref name="outcome"/> is "ok", "refused", "unreachable", "timeout" or "failed".</summary>
    public void Connected(string outcome, TimeSpan elapsed) => _connect.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>A chain of upstream route <paramref name="route"/> failed (its name is configured, so the label stays few).</summary>
    public void UpstreamFailed(string route) => _upstreamFailures.Add(1, new KeyValuePair<string, object?>("route", route));

    /// <summary>A request of route <paramref name="route"/> went on to the next chain.</summary>
    public void UpstreamFailedOver(string route) => _upstreamFailovers.Add(1, new KeyValuePair<string, object?>("route", route));

    /// <summary>A name lookup finished; <paramref name="outcome"/> is "ok", "failed" or "timeout".</summary>
    public void Resolved(string outcome, TimeSpan elapsed) => _dns.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));

    public void BindWaited(bool peerArrived, TimeSpan waited)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", peerArrived ? "peer" : "no_peer");
        _bindWaits.Add(1, outcome);
        _bindWait.Record(waited.TotalSeconds, outcome);
    }

    /// <summary>A limit refused something. <paramref name="limit"/> is the limit's configuration name, e.g. "sessions_per_user".</summary>
    public void LimitHit(string limit) => _limitHits.Add(1, new KeyValuePair<string, object?>("limit", limit));

    public void Reloaded(bool succeeded) => _reloads.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? "ok" : "failed"));

    /// <summary>The rule label of a decision: its name, "rule N", "default" (no rule matched) or "safe_default".</summary>
    public static string RuleLabel(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return decision.Basis switch
        {
            DecisionBasis.Rule => decision.Rule?.Name ?? string.Create(CultureInfo.InvariantCulture, $"rule {decision.RuleNumber}"),
            DecisionBasis.SafeDefault => "safe_default",
            _ => "default",
        };
    }

    private static string VersionLabel(string? version) => version ?? "none";

    private IEnumerable<Measurement<long>> ObserveActive()
    {
        var counts = new Dictionary<(string Command, string Version), long>();
        foreach (var session in Live.Snapshot())
        {
            var key = (session.Record.CommandName ?? "none", VersionLabel(session.Record.VersionName));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        return counts.Select(c => new Measurement<long>(c.Value, new("command", c.Key.Command), new("version", c.Key.Version)));
    }

    /// <summary>Payload bytes relayed since start, ended and open sessions together.</summary>
    public (long Up, long Down) RelayedBytes()
    {
        lock (_endGate)
        {
            long up = _endedBytesUp;
            long down = _endedBytesDown;
            foreach (var session in Live.Snapshot())
            {
                up += session.Record.BytesUp;
                down += session.Record.BytesDown;
            }

            return (up, down);
        }
    }

    private IEnumerable<Measurement<long>> ObserveBytes()
    {
        var (up, down) = RelayedBytes();
        return [new(up, new KeyValuePair<string, object?>("direction", "up")), new(down, new KeyValuePair<string, object?>("direction", "down"))];
    }

    private IEnumerable<Measurement<long>> ObserveDatagrams()
    {
        long up;
        long down;
        lock (_endGate)
        {
            up = _endedDatagramsUp;
            down = _endedDatagramsDown;
            foreach (var session in Live.Snapshot())
            {
                if (session.Record.Udp is { } udp)
                {
                    up += udp.DatagramsUp;
                    down += udp.DatagramsDown;
                }
            }
        }

        return [new(up, new KeyValuePair<string, object?>("direction", "up")), new(down, new KeyValuePair<string, object?>("direction", "down"))];
    }

    private IEnumerable<Measurement<long>> ObserveDrops()
    {
        var reasons = Enum.GetValues<UdpDropReason>();
        var totals = new long[reasons.Length];
        lock (_endGate)
        {
            Array.Copy(_endedDrops, totals, totals.Length);
            foreach (var session in Live.Snapshot())
            {
                if (session.Record.Udp is { } udp)
                {
                    foreach (var reason in reasons)
                    {
                        totals[(int)reason] += udp.Drops(reason);
                    }
                }
            }
        }

        // Every reason is reported, zeros included, so that a rate() over a reason that never happened is 0, not absent.
        return reasons.Select(r => new Measurement<long>(totals[(int)r], new KeyValuePair<string, object?>("reason", UdpRecord.Name(r))));
    }

    public void Dispose() => Meter.Dispose();
}
