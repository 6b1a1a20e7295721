using System.Globalization;

namespace Windsock.Protocol.Probes;

/// <summary>
/// The options of one PING or TRACEROUTE run: what the client's options line says, with the documented
/// defaults for everything it leaves out (an old client sends no line at all: <see cref="Defaults"/>).
/// <see cref="TryParse"/> checks the protocol's own ranges; a server's limits come on top.
/// </summary>
public sealed record ProbeOptions
{
    public const int MaxCount = 1_000_000;
    public const int MaxSize = 65_000;
    public const int MaxHopsLimit = 255;
    public const int MaxProbesPerHop = 10;
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(1);
    public static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);
    public static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(1);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Ping: probes to send; 0 = until the client's end byte (a server bounds it).</summary>
    public int Count { get; init; }

    /// <summary>Ping: time between probes.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Ping: ICMP data bytes after the 8-byte echo header.</summary>
    public int Size { get; init; } = 56;

    /// <summary>How long one probe waits for its answer; null = the command's default (2 s ping, 3 s traceroute).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>4 or 6: which family of a name's addresses to probe; null = whatever the resolver gives first.</summary>
    public int? Family { get; init; }

    /// <summary>Traceroute: the largest TTL / hop limit.</summary>
    public int MaxHops { get; init; } = 30;

    /// <summary>Traceroute: probes per hop.</summary>
    public int Probes { get; init; } = 3;

    /// <summary>Traceroute: UDP or ICMP probes.</summary>
    public TraceProbe Probe { get; init; } = TraceProbe.Udp;

    /// <summary>Traceroute over UDP: the first destination port; each probe adds one.</summary>
    public int Port { get; init; } = 33434;

    /// <summary>The options of a client that sent none.</summary>
    public static ProbeOptions Defaults { get; } = new();

    /// <summary>The per-probe wait this run uses.</summary>
    public TimeSpan EffectiveTimeout(bool traceroute) => Timeout ?? TimeSpan.FromSeconds(traceroute ? 3 : 2);

    /// <summary>The options line for a run (only the fields that differ from the defaults travel).</summary>
    public ProbeLine ToLine(bool traceroute)
    {
        var fields = new List<KeyValuePair<string, string>>();
        var defaults = Defaults;
        if (traceroute)
        {
            Add(MaxHops != defaults.MaxHops, "max_hops", MaxHops);
            Add(Probes != defaults.Probes, "probes", Probes);
            if (Probe != defaults.Probe)
            {
                fields.Add(new("probe", "icmp"));
            }

            Add(Port != defaults.Port, "port", Port);
        }
        else
        {
            Add(Count != defaults.Count, "count", Count);
            if (Interval != defaults.Interval)
            {
                fields.Add(new("interval", ProbeLine.Number(Interval.TotalSeconds)));
            }

            Add(Size != defaults.Size, "size", Size);
        }

        if (Timeout is { } timeout)
        {
            fields.Add(new("timeout", ProbeLine.Number(timeout.TotalSeconds)));
        }

        if (Family is { } family)
        {
            fields.Add(new("family", family.ToString(CultureInfo.InvariantCulture)));
        }

        return new ProbeLine(ProbeWords.Options, [.. fields]);

        void Add(bool differs, string key, int value)
        {
            if (differs)
            {
                fields.Add(new(key, value.ToString(CultureInfo.InvariantCulture)));
            }
        }
    }

    /// <summary>
    /// Reads an options line for PING (<paramref name="traceroute"/> false) or TRACEROUTE. Null and a reason when
    /// the word is not <c>options</c>, a key is unknown for the command, or a value is malformed or out of range.
    /// </summary>
    public static ProbeOptions? TryParse(ProbeLine line, bool traceroute, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(line);
        problem = null;
        if (line.Word != ProbeWords.Options)
        {
            problem = $"the options line starts with '{line.Word}', not 'options'";
            return null;
        }

        var options = new ProbeOptions();
        foreach (var (key, value) in line.Fields)
        {
            string? error = (traceroute, key) switch
            {
                (false, "count") => Integer(key, 0, MaxCount, v => options = options with { Count = v }),
                (false, "interval") => Seconds(key, MinInterval, MaxInterval, v => options = options with { Interval = v }),
                (false, "size") => Integer(key, 0, MaxSize, v => options = options with { Size = v }),
                (_, "timeout") => Seconds(key, MinTimeout, MaxTimeout, v => options = options with { Timeout = v }),
                (_, "family") => value is "4" or "6" ? Set(() => options = options with { Family = value == "4" ? 4 : 6 }) : "family is 4 or 6",
                (true, "max_hops") => Integer(key, 1, MaxHopsLimit, v => options = options with { MaxHops = v }),
                (true, "probes") => Integer(key, 1, MaxProbesPerHop, v => options = options with { Probes = v }),
                (true, "probe") => value switch
                {
                    "udp" => Set(() => options = options with { Probe = TraceProbe.Udp }),
                    "icmp" => Set(() => options = options with { Probe = TraceProbe.Icmp }),
                    _ => "probe is udp or icmp",
                },
                (true, "port") => Integer(key, 1, 65535, v => options = options with { Port = v }),
                _ => $"unknown option '{key}' for {(traceroute ? "traceroute" : "ping")}",
            };
            if (error is not null)
            {
                problem = error;
                return null;
            }
        }

        return options;

        string? Integer(string key, int min, int max, Action<int> set)
        {
            if (!line.TryGetInt(key, out int v) || v < min || v > max)
            {
                return $"{key} is a whole number from {min} to {max}, not '{line[key]}'";
            }

            set(v);
            return null;
        }

        string? Seconds(string key, TimeSpan min, TimeSpan max, Action<TimeSpan> set)
        {
            if (!line.TryGetNumber(key, out double v) || v * 1000 < min.TotalMilliseconds || v * 1000 > max.TotalMilliseconds)
            {
                return $"{key} is seconds from {ProbeLine.Number(min.TotalSeconds)} to {ProbeLine.Number(max.TotalSeconds)}, not '{line[key]}'";
            }

            set(TimeSpan.FromMilliseconds(Math.Round(v * 1000, 3)));
            return null;
        }

        static string? Set(Action set)
        {
            set();
            return null;
        }
    }
}
