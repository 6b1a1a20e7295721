using System.Globalization;

namespace Windsock.Server.Sessions;

/// <summary>
/// How many threads the <see cref="HandshakeLoop"/> runs: one per core, at most four, unless the service's environment
/// says otherwise in <c>WINDSOCK_LOOP_THREADS</c> (1 to 64). Fewer than the cores is for a host where the proxy
/// shares a few cores with other busy processes: there one thread measured less CPU per connection and a higher
/// connection rate than two, since the threads of one epoll set wake each other for reports the other then takes
/// (docs/operations.md, "CPU on a shared machine"; docs/benchmarks.md, "Connections, round four").
/// </summary>
public static class LoopThreads
{
    /// <summary>The environment variable read at the loop's start.</summary>
    public const string Variable = "WINDSOCK_LOOP_THREADS";

    /// <summary>The most threads it takes.</summary>
    public const int Max = 64;

    /// <summary>
    /// What the loop runs with <paramref name="value"/> (the variable's value; null or empty when unset, as systemd's
    /// <c>Environment=WINDSOCK_LOOP_THREADS=</c> leaves it) on <paramref name="processors"/> cores.
    /// </summary>
    public static int Resolve(string? value, int processors) =>
        TryParse(value, out int threads) ? threads : Math.Clamp(processors, 1, 4);

    /// <summary>Why <paramref name="value"/> is not a thread count, with the fix; null when it is one or unset.</summary>
    public static string? Problem(string? value) =>
        string.IsNullOrEmpty(value) || TryParse(value, out _)
            ? null
            : $"{Variable}={value} is not a number of handshake loop threads. fix: a whole number from 1 to {Max}, or unset it for one per core (at most four)";

    private static bool TryParse(string? value, out int threads)
    {
        threads = 0;
        return value is not null
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out threads)
            && threads is >= 1 and <= Max;
    }
}
