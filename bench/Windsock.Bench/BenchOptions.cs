using System.Globalization;
using System.Net;

namespace Windsock.Bench;

/// <summary>Command line of the bench tool, parsed and range-checked.</summary>
public sealed class BenchOptions
{
    public const double MaxSeconds = 600;

    public string Mode { get; private init; } = "";

    public IPEndPoint? Proxy { get; private init; }

    public SocksCredentials? Credentials { get; private init; }

    public int Streams { get; private init; } = 1;

    public int Concurrency { get; private init; } = 1;

    public TimeSpan Duration { get; private init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Warmup { get; private init; } = TimeSpan.FromSeconds(1);

    public int BufferSize { get; private init; } = 256 * 1024;

    public long MaxConnections { get; private init; } = 10_000_000;

    public TimeSpan Timeout { get; private init; } = TimeSpan.FromSeconds(5);

    public bool Json { get; private init; }

    public string? Label { get; private init; }

    public static string Usage => """
        usage:
          windsock-bench throughput (--proxy HOST:PORT | --direct) [--streams N] [--seconds S] [options]
          windsock-bench connrate   (--proxy HOST:PORT | --direct) [--concurrency C] [--seconds S] [options]
          windsock-bench freeport   (print a free TCP port on 127.0.0.1)

        options:
          --proxy IP:PORT      SOCKS5 proxy to go through (IPv4 or [IPv6]:port; loopback only)
          --direct             no proxy: measure the loopback baseline
          --user U --password P  RFC 1929 username/password instead of no-auth
          --seconds S          measured window (default 5, at most 600)
          --warmup S           unmeasured lead-in (default 1)
          --streams N          throughput: parallel streams (default 1, at most 1024)
          --buffer BYTES       throughput: send buffer size (default 262144)
          --concurrency C      connrate: parallel workers (default 1, at most 4096)
          --max-connections N  connrate: stop after N connections, warm-up included (default 10000000)
          --timeout S          per-connection / setup timeout (default 5)
          --label NAME         copied into the output, for scripts
          --json               one JSON object on stdout instead of a table
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="FormatException"/> with a message for the user.</summary>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 0)
        {
            throw new FormatException("missing mode");
        }

        string mode = args[0];
        if (mode is not ("throughput" or "connrate"))
        {
            throw new FormatException($"unknown mode '{mode}'");
        }

        IPEndPoint? proxy = null;
        bool direct = false;
        string? user = null;
        string? password = null;
        int streams = 1;
        int concurrency = 1;
        double seconds = 5;
        double warmup = 1;
        int buffer = 256 * 1024;
        long maxConnections = 10_000_000;
        double timeout = 5;
        bool json = false;
        string? label = null;

        for (int i = 1; i < args.Count; i++)
        {
            string name = args[i];
            string Value()
            {
                if (i + 1 >= args.Count)
                {
                    throw new FormatException($"{name} needs a value");
                }

                return args[++i];
            }

            switch (name)
            {
                case "--proxy": proxy = ParseLoopbackEndPoint(Value()); break;
                case "--direct": direct = true; break;
                case "--user": user = Value(); break;
                case "--password": password = Value(); break;
                case "--streams": streams = (int)ParseLong(name, Value(), 1, 1024); break;
                case "--concurrency": concurrency = (int)ParseLong(name, Value(), 1, 4096); break;
                case "--seconds": seconds = ParseDouble(name, Value(), 0.05, MaxSeconds); break;
                case "--warmup": warmup = ParseDouble(name, Value(), 0, 60); break;
                case "--buffer": buffer = (int)ParseLong(name, Value(), 1, 64 * 1024 * 1024); break;
                case "--max-connections": maxConnections = ParseLong(name, Value(), 1, long.MaxValue); break;
                case "--timeout": timeout = ParseDouble(name, Value(), 0.01, 120); break;
                case "--label": label = Value(); break;
                case "--json": json = true; break;
                default: throw new FormatException($"unknown option '{name}'");
            }
        }

        if (direct == (proxy is not null))
        {
            throw new FormatException("give exactly one of --proxy HOST:PORT or --direct");
        }

        if ((user is null) != (password is null))
        {
            throw new FormatException("--user and --password go together");
        }

        if (direct && user is not null)
        {
            throw new FormatException("--user/--password need --proxy");
        }

        return new BenchOptions
        {
            Mode = mode,
            Proxy = proxy,
            Credentials = user is null ? null : new SocksCredentials(user, password!),
            Streams = streams,
            Concurrency = concurrency,
            Duration = TimeSpan.FromSeconds(seconds),
            Warmup = TimeSpan.FromSeconds(warmup),
            BufferSize = buffer,
            MaxConnections = maxConnections,
            Timeout = TimeSpan.FromSeconds(timeout),
            Json = json,
            Label = label,
        };
    }

    /// <summary>
    /// The benchmark only ever talks to this machine: anything but a loopback
    /// address is refused here, before a single packet is sent.
    /// </summary>
    public static IPEndPoint ParseLoopbackEndPoint(string text)
    {
        if (!IPEndPoint.TryParse(text, out IPEndPoint? endPoint) || endPoint.Port == 0)
        {
            throw new FormatException($"'{text}' is not IP:PORT (names are not resolved)");
        }

        if (!IPAddress.IsLoopback(endPoint.Address))
        {
            throw new FormatException($"'{text}' is not a loopback address; the benchmark only targets this machine");
        }

        return endPoint;
    }

    private static long ParseLong(string name, string text, long min, long max)
    {
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
        {
            throw new FormatException($"{name} wants an integer in {min}..{max}, got '{text}'");
        }

        return value;
    }

    private static double ParseDouble(string name, string text, double min, double max)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < min || value > max)
        {
            throw new FormatException($"{name} wants a number in {min}..{max}, got '{text}'");
        }

        return value;
    }
}
