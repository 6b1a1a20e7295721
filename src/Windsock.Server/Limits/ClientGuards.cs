using System.Globalization;
using System.Net;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;

namespace Windsock.Server.Limits;

/// <summary>
/// The state behind <see cref="ClientLimits"/> (the <c>[limits]</c> section): what each source, user and rule
/// holds now, the connection-rate and bandwidth buckets, and recent failed logins. One instance lives as long
/// as the server: a reload hands it to the next context (<see cref="For"/>), so that neither a count nor a
/// throttle starts again from zero; the caps themselves are read from the running limits at each admission,
/// so a reload that changes them takes effect for the next session.
/// </summary>
public sealed class ClientGuards
{
    private const string Everyone = "";

    private readonly TimeProvider _time;
    private readonly HeldCounter<string> _sessions = new("sessions");
    private readonly HeldCounter<string> _sessionsPerUser = new("sessions_per_user");
    private readonly HeldCounter<SourceKey> _sessionsPerSource = new("sessions_per_source");
    private readonly HeldCounter<string> _sessionsPerRule = new("sessions_per_rule");
    private readonly RateTable<SourceKey> _connections;
    private readonly SharedBuckets<string> _userUp;
    private readonly SharedBuckets<string> _userDown;
    private readonly SharedBuckets<string> _ruleUp;
    private readonly SharedBuckets<string> _ruleDown;

    public ClientGuards(ClientLimits limits, TimeProvider time)
        : this(limits, time, new LoginThrottle(time, limits?.Logins), null)
    {
    }

    private ClientGuards(ClientLimits limits, TimeProvider time, LoginThrottle logins, ClientGuards? running)
    {
        ArgumentNullException.ThrowIfNull(limits);
        Limits = limits;
        _time = time;
        Logins = logins;
        if (running is not null)
        {
            Unauthenticated = running.Unauthenticated;
            Binds = running.Binds;
            _sessions = running._sessions;
            _sessionsPerUser = running._sessionsPerUser;
            _sessionsPerSource = running._sessionsPerSource;
            _sessionsPerRule = running._sessionsPerRule;
            _connections = running._connections;
            (_userUp, _userDown, _ruleUp, _ruleDown) = (running._userUp, running._userDown, running._ruleUp, running._ruleDown);
            return;
        }

        Unauthenticated = new HeldCounter<SourceKey>("unauthenticated_per_source");
        Binds = new HeldCounter<SourceKey>("bind_per_source");
        _connections = new RateTable<SourceKey>("connections_per_second_per_source", time);
        (_userUp, _userDown, _ruleUp, _ruleDown) = (new(time), new(time), new(time), new(time));
    }

    /// <summary>The limits in force.</summary>
    public ClientLimits Limits { get; }

    /// <summary>Sessions from accept until the request is read.</summary>
    public HeldCounter<SourceKey> Unauthenticated { get; }

    /// <summary>Open BIND listeners.</summary>
    public HeldCounter<SourceKey> Binds { get; }

    /// <summary>Failed logins per source and user name.</summary>
    public LoginThrottle Logins { get; }

    /// <summary>Decided sessions held per user now (tests and <c>windsock status</c> read it).</summary>
    public int SessionsOf(string user) => _sessionsPerUser.HeldBy(user);

    /// <summary>
    /// The guards for a reloaded configuration: the same counts and buckets under the new limits. A changed
    /// login throttle starts afresh (its delays are derived from the settings it was built with).
    /// </summary>
    public ClientGuards For(ClientLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var logins = limits.Logins == Limits.Logins ? Logins : new LoginThrottle(_time, limits.Logins);
        return new ClientGuards(limits, _time, logins, this);
    }

    /// <summary>The source a per-source limit counts for <paramref name="address"/>, grouped as the limits say.</summary>
    public SourceKey SourceOf(IPAddress address) => SourceKey.From(address, Limits.SourcePrefixIPv4, Limits.SourcePrefixIPv6);

    /// <summary>A new connection from <paramref name="address"/>: refused when its source is past the connection rate.</summary>
    public LimitAdmission AdmitConnection(IPAddress address)
    {
        if (Limits.ConnectionsPerSecondPerSource is not { } rate)
        {
            return default;
        }

        var source = SourceOf(address);
        int burst = Limits.ConnectionBurstPerSource ?? Math.Max(1, (int)Math.Ceiling(rate * 2));
        return _connections.TryTake(source, rate, burst, out bool first)
            ? default
            : LimitAdmission.Refuse(_connections.Name, string.Create(CultureInfo.InvariantCulture, $"limit {_connections.Name}={rate} (burst {burst}) reached for {source}"), first);
    }

    /// <summary>
    /// Admits a decided session against the session counts, in the order overall, per source, per user, per rule,
    /// and takes its bandwidth buckets. Null <see cref="LimitAdmission.Lease"/> with the refusing limit's reason when
    /// one is full (nothing is held then); otherwise the lease is a <see cref="SessionLimits"/>.
    /// </summary>
    /// <param name="client">The client's address (its source is grouped as the limits say).</param>
    /// <param name="user">The authenticated user (or ident-confirmed SOCKS4 user id); null for anonymous sessions, which per-user limits do not count.</param>
    /// <param name="rule">The deciding rule as the log names it; null when no rule decided.</param>
    public LimitAdmission AdmitSession(IPAddress client, string? user, string? rule)
    {
        var held = new SessionLimits();
        var source = SourceOf(client);
        LimitAdmission refused = default;
        bool ok = Take(held, _sessions, Everyone, Limits.Sessions, "the server", ref refused)
            && Take(held, _sessionsPerSource, source, Limits.SessionsPerSource, source.ToString(), ref refused)
            && (user is null || Take(held, _sessionsPerUser, user, Limits.SessionsPerUser, user, ref refused))
            && (rule is null || Take(held, _sessionsPerRule, rule, Limits.SessionsPerRule, rule, ref refused));
        if (!ok)
        {
            held.Dispose();
            return refused;
        }

        Pace(held, _userUp, user, Limits.BandwidthPerUserUp, up: true);
        Pace(held, _userDown, user, Limits.BandwidthPerUserDown, up: false);
        Pace(held, _ruleUp, rule, Limits.BandwidthPerRuleUp, up: true);
        Pace(held, _ruleDown, rule, Limits.BandwidthPerRuleDown, up: false);
        return new LimitAdmission(held, null, null, false);
    }

    private static bool Take<TKey>(SessionLimits held, HeldCounter<TKey> counter, TKey key, int? limit, string who, ref LimitAdmission refused)
        where TKey : notnull
    {
        if (limit is not { } cap)
        {
            return true;
        }

        var admission = counter.TryAcquire(key, cap, who);
        if (admission.Lease is null)
        {
            refused = admission;
            return false;
        }

        held.Hold(admission.Lease);
        return true;
    }

    private static void Pace(SessionLimits held, SharedBuckets<string> buckets, string? key, long? bytesPerSecond, bool up)
    {
        if (key is null || bytesPerSecond is not { } rate)
        {
            return;
        }

        var (bucket, lease) = buckets.Acquire(key, rate);
        held.Hold(lease);
        if (up)
        {
            held.PaceUp(bucket);
        }
        else
        {
            held.PaceDown(bucket);
        }
    }
}
