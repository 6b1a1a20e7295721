using System.Net;

namespace Windsock.Bench;

/// <summary>
/// One bench run, as the command line gave it. <see cref="Validate"/> range-checks everything
/// and enforces the loopback-only rule before anything is sent.
/// </summary>
public sealed record BenchOptions
{
    public const double MaxSeconds = 600;

    /// <summary>soak runs for hours: a day at most.</summary>
    public const double MaxSoakSeconds = 24 * 3600;
    public const int MaxSessions = 100_000;

    /// <summary>throughput, connrate, idle, udp or soak.</summary>
    public required string Mode { get; init; }

    /// <summary>The proxy, or null for the direct (no proxy) baseline.</summary>
    public ProxySpec? Proxy { get; init; }

    /// <summary>The destination name sent by SOCKS4a and socks5h; must resolve to loopback only.</summary>
    public string TargetName { get; init; } = "localhost";

    public int Streams { get; init; } = 1;

    /// <summary>connrate and udp: parallel workers.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>The measured window; for idle, how long the sessions are held.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    public int BufferSize { get; init; } = 256 * 1024;

    /// <summary>connrate: connections; udp: datagrams. Warm-up included.</summary>
    public long MaxOperations { get; init; } = 10_000_000;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>connrate: echoed bytes per connection (default 32); udp: datagram payload (default 64).</summary>
    public int? PayloadSize { get; init; }

    /// <summary>connrate: which end closes each connection first.</summary>
    public CloseFirst CloseFirst { get; init; } = CloseFirst.Client;

    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(1);

    public int Sessions { get; init; } = 1000;

    public int OpenConcurrency { get; init; } = 64;

    public TimeSpan OpenTimeLimit { get; init; } = TimeSpan.FromSeconds(120);

    public IReadOnlyList<int> Pids { get; init; } = [];

    public int? ProcessGroup { get; init; }

    /// <summary>soak: how often the server's /proc is read.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>soak: where the samples go as CSV (one line per sample and pid).</summary>
    public string? CsvPath { get; init; }

    public bool Json { get; init; }

    public string? Label { get; init; }

    /// <summary>Throws <see cref="FormatException"/> with a message for the user.</summary>
    public void Validate()
    {
        if (Mode is not ("throughput" or "connrate" or "idle" or "udp" or "soak"))
        {
            throw new FormatException($"unknown mode '{Mode}'");
        }

        if (Proxy is not null && !IPAddress.IsLoopback(Proxy.EndPoint.Address))
        {
            throw new FormatException($"{Proxy.EndPoint} is not a loopback address; the benchmark only targets this machine");
        }

        Check(Streams, 1, 1024, "--streams");
        Check(Concurrency, 1, 4096, "--concurrency");
        Check(Duration.TotalSeconds, Mode == "idle" ? 0 : 0.05, Mode == "soak" ? MaxSoakSeconds : MaxSeconds, "--seconds");
        Check(SampleInterval.TotalSeconds, 1, 3600, "--sample-seconds");
        Check(Warmup.TotalSeconds, 0, 60, "--warmup");
        Check(BufferSize, 1, 64 * 1024 * 1024, "--buffer");
        Check(MaxOperations, 1, long.MaxValue, "--max-connections/--max-datagrams");
        Check(Timeout.TotalSeconds, 0.01, 120, "--timeout");
        Check(ReplyTimeout.TotalSeconds, 0.001, 60, "--reply-timeout");
        Check(Sessions, 1, MaxSessions, "--sessions");
        Check(OpenConcurrency, 1, 4096, "--open-concurrency");
        Check(OpenTimeLimit.TotalSeconds, 1, MaxSeconds, "--open-seconds");
        if (PayloadSize is int payload)
        {
            Check(payload, Mode == "udp" ? 8 : 1, Mode == "udp" ? 65_000 : 1024 * 1024, "--payload");
        }

        if (Mode is "udp" or "soak" && Proxy is { IsSocks4: true })
        {
            throw new FormatException($"{Mode} needs SOCKS5: SOCKS4 has no UDP ASSOCIATE");
        }

        if (Mode == "soak" && (Proxy is null || Pids.Count == 0))
        {
            throw new FormatException("soak needs --proxy (a SOCKS5 server) and --pid (the server's process, read from /proc)");
        }

        if (Proxy is not null && Proxy.SendsName)
        {
            CheckTargetNameIsLoopback(TargetName);
        }

        if ((Pids.Count > 0 && Mode is not ("idle" or "soak" or "connrate" or "udp")) || (ProcessGroup is not null && Mode is not ("idle" or "connrate" or "udp")))
        {
            throw new FormatException("--pid goes with idle, connrate, udp and soak, --pgid with idle, connrate and udp");
        }
    }

    /// <summary>
    /// A name sent to the proxy must lead back to this machine: it has to resolve, here, to
    /// loopback addresses and nothing else. (The proxy resolves it itself; this is the best the
    /// harness can check.)
    /// </summary>
    public static void CheckTargetNameIsLoopback(string name)
    {
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(name);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new FormatException($"--target-name {name} does not resolve here: {ex.Message}");
        }

        if (addresses.Length == 0 || !addresses.All(IPAddress.IsLoopback))
        {
            throw new FormatException($"--target-name {name} resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}; only loopback is allowed");
        }
    }

    private static void Check(double value, double min, double max, string name)
    {
        if (double.IsNaN(value) || value < min || value > max)
        {
            throw new FormatException($"{name} wants a value in {min}..{max}, got {value}");
        }
    }
}
