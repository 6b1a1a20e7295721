using System.CommandLine;
using System.Globalization;
using Windsock.Bench;

namespace Windsock.Cli;

/// <summary>
/// <c>windsock bench throughput|connrate|idle|udp|soak</c>: the load generator of bench/Windsock.Bench
/// as a product feature. Every target is on loopback (proxies, and the harness's own sink and
/// echo servers); every load is bounded in count and time.
/// </summary>
/// <remarks>Exit codes: 0 something got through; 1 nothing did; 2 bad arguments; 130 interrupted.</remarks>
internal static class BenchCommand
{
    private const int BadInput = 2;
    private const int Interrupted = 130;

    public static Command Create()
    {
        var command = new Command("bench", "Load-test a SOCKS proxy (or the loopback baseline) on this machine: throughput, connection rate, idle sessions, UDP rate.")
        {
            Throughput(),
            ConnectionRate(),
            Idle(),
            Udp(),
            Soak(),
            FreePortCommand(),
        };
        return command;
    }

    private static Command Throughput()
    {
        var common = new CommonOptions(defaultSeconds: 5);
        var streams = new Option<int>("--streams", "-n") { Description = "Parallel streams (1-1024).", DefaultValueFactory = _ => 1 };
        var buffer = new Option<int>("--buffer") { Description = "Send buffer size in bytes.", DefaultValueFactory = _ => 256 * 1024 };
        var command = new Command("throughput", "CONNECT N streams to the bench's own sink and push bytes as fast as they go; Gbit/s counted at the sink.")
        {
            streams,
            buffer,
        };
        common.AddTo(command);
        command.SetAction((parse, token) => RunAsync(parse, token, () => common.Build(parse, "throughput"), options => options with
        {
            Streams = parse.GetValue(streams),
            BufferSize = parse.GetValue(buffer),
        }));
        return command;
    }

    private static Command ConnectionRate()
    {
        var common = new CommonOptions(defaultSeconds: 5);
        var concurrency = new Option<int>("--concurrency", "-j") { Description = "Parallel workers (1-4096).", DefaultValueFactory = _ => 1 };
        var max = new Option<long>("--max-connections") { Description = "Stop after this many connections, warm-up included.", DefaultValueFactory = _ => 10_000_000 };
        var payload = new Option<int>("--payload") { Description = "Bytes echoed on each connection.", DefaultValueFactory = _ => 32 };
        var closeFirst = new Option<CloseFirst>("--close-first")
        {
            Description = "Which end closes each connection first: client (after reading the echo) or server (the echo target closes; the client waits for end of stream).",
            DefaultValueFactory = _ => CloseFirst.Client,
        };
        var pid = new Option<int[]>("--pid") { Description = "The server's process: its CPU time (utime+stime from /proc/PID/stat) over the window, per connection. Repeat for several.", Arity = ArgumentArity.ZeroOrMore };
        var pgid = new Option<int?>("--pgid") { Description = "Also count every process in this process group (Dante's workers; exited ones through their parent's cutime/cstime)." };
        var command = new Command("connrate", "Workers in a loop: connect, CONNECT to the bench's echo server, echo a few bytes, close. Connections/s, latency percentiles and, with --pid/--pgid, the server's CPU per connection.")
        {
            concurrency,
            max,
            payload,
            closeFirst,
            pid,
            pgid,
        };
        common.AddTo(command);
        command.SetAction((parse, token) => RunAsync(parse, token, () => common.Build(parse, "connrate"), options => options with
        {
            Concurrency = parse.GetValue(concurrency),
            MaxOperations = parse.GetValue(max),
            PayloadSize = parse.GetValue(payload),
            CloseFirst = parse.GetValue(closeFirst),
            Pids = parse.GetValue(pid) ?? [],
            ProcessGroup = parse.GetValue(pgid),
        }));
        return command;
    }

    private static Command Udp()
    {
        var common = new CommonOptions(defaultSeconds: 5);
        var concurrency = new Option<int>("--concurrency", "-j") { Description = "Parallel workers, one UDP association each (1-4096).", DefaultValueFactory = _ => 1 };
        var max = new Option<long>("--max-datagrams") { Description = "Stop after this many round trips, warm-up included.", DefaultValueFactory = _ => 10_000_000 };
        var payload = new Option<int>("--payload") { Description = "Datagram payload in bytes (8-65000), without the SOCKS header.", DefaultValueFactory = _ => 64 };
        var replyTimeout = new Option<double>("--reply-timeout") { Description = "Seconds to wait for a datagram to come back before counting it lost.", DefaultValueFactory = _ => 1 };
        var pid = new Option<int[]>("--pid") { Description = "The server's process: its CPU time (utime+stime from /proc/PID/stat) over the window, per round trip. Repeat for several.", Arity = ArgumentArity.ZeroOrMore };
        var pgid = new Option<int?>("--pgid") { Description = "Also count every process in this process group (Dante's workers)." };
        var command = new Command("udp", "Workers with a UDP ASSOCIATE each (a thread and a blocking socket per worker), sending datagrams to the bench's UDP echo through the relay: round trips/s, loss, RTT percentiles, the bench's own CPU per round trip and, with --pid/--pgid, the server's. SOCKS5 only.")
        {
            concurrency,
            max,
            payload,
            replyTimeout,
            pid,
            pgid,
        };
        common.AddTo(command);
        command.SetAction((parse, token) => RunAsync(parse, token, () => common.Build(parse, "udp"), options => options with
        {
            Concurrency = parse.GetValue(concurrency),
            MaxOperations = parse.GetValue(max),
            PayloadSize = parse.GetValue(payload),
            ReplyTimeout = TimeSpan.FromSeconds(parse.GetValue(replyTimeout)),
            Pids = parse.GetValue(pid) ?? [],
            ProcessGroup = parse.GetValue(pgid),
        }));
        return command;
    }

    private static Command Idle()
    {
        var common = new CommonOptions(defaultSeconds: 10, hasWarmup: false);
        var sessions = new Option<int>("--sessions", "-k") { Description = $"Sessions to open and hold (1-{BenchOptions.MaxSessions}). Needs about 2 file descriptors per session here.", DefaultValueFactory = _ => 1000 };
        var openConcurrency = new Option<int>("--open-concurrency") { Description = "Sessions being opened at once.", DefaultValueFactory = _ => 64 };
        var openSeconds = new Option<double>("--open-seconds") { Description = "Give up opening after this many seconds.", DefaultValueFactory = _ => 120 };
        var pid = new Option<int[]>("--pid") { Description = "Process whose VmRSS (and Pss) to read before, with the sessions held, and after. Repeat for several.", Arity = ArgumentArity.ZeroOrMore };
        var pgid = new Option<int?>("--pgid") { Description = "Also read every process in this process group (re-read at each sample: Dante forks as clients arrive)." };
        var command = new Command("idle", "Open K CONNECTed sessions to the bench's sink, hold them idle for --seconds, check them, close. With --pid/--pgid, the server's memory per session.")
        {
            sessions,
            openConcurrency,
            openSeconds,
            pid,
            pgid,
        };
        common.AddTo(command);
        command.SetAction((parse, token) => RunAsync(parse, token, () => common.Build(parse, "idle"), options => options with
        {
            Sessions = parse.GetValue(sessions),
            OpenConcurrency = parse.GetValue(openConcurrency),
            OpenTimeLimit = TimeSpan.FromSeconds(parse.GetValue(openSeconds)),
            Pids = parse.GetValue(pid) ?? [],
            ProcessGroup = parse.GetValue(pgid),
        }));
        return command;
    }

    private static Command Soak()
    {
        // A session's whole life, a 4 MiB exchange included, on a machine busy with other work: a minute.
        var common = new CommonOptions(defaultSeconds: 3600, hasWarmup: false, maxSeconds: BenchOptions.MaxSoakSeconds, defaultTimeout: 60, timeoutMeaning: "Seconds each session may take in all (connect, handshake, every exchange).");
        var sessions = new Option<int>("--sessions", "-k") { Description = $"Sessions in all, spread evenly over --seconds (1-{BenchOptions.MaxSessions}).", DefaultValueFactory = _ => 10_000 };
        var concurrency = new Option<int>("--concurrency", "-j") { Description = "Workers running sessions at once (1-4096).", DefaultValueFactory = _ => 8 };
        var pid = new Option<int[]>("--pid") { Description = "The server's process: RSS, descriptors, threads and GC heap read from /proc each sample. Repeat for several.", Arity = ArgumentArity.OneOrMore };
        var sampleSeconds = new Option<double>("--sample-seconds") { Description = "Seconds between two samples of the server's /proc.", DefaultValueFactory = _ => 60 };
        var csv = new Option<FileInfo?>("--csv") { Description = "Write the samples here as CSV (bench/soak-chart.py draws them)." };
        var command = new Command("soak", "Hours of mixed sessions through a SOCKS5 server: bulk and small CONNECTs, BIND, UDP, each payload's SHA-256 checked at both ends; the server's RSS, descriptors, threads and GC heap sampled. Exit 0 only when nothing failed, was lost or damaged.")
        {
            sessions,
            concurrency,
            pid,
            sampleSeconds,
            csv,
        };
        common.AddTo(command);
        command.SetAction((parse, token) => RunAsync(parse, token, () => common.Build(parse, "soak"), options => options with
        {
            Sessions = parse.GetValue(sessions),
            Concurrency = parse.GetValue(concurrency),
            Pids = parse.GetValue(pid) ?? [],
            SampleInterval = TimeSpan.FromSeconds(parse.GetValue(sampleSeconds)),
            CsvPath = parse.GetValue(csv)?.FullName,
        }));
        return command;
    }

    private static Command FreePortCommand()
    {
        var command = new Command("freeport", "Print a free TCP port on 127.0.0.1 (for scripts; racy by nature).") { Hidden = true };
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine(FreePort.Find().ToString(CultureInfo.InvariantCulture));
            return 0;
        });
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<BenchOptions> common, Func<BenchOptions, BenchOptions> complete)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        BenchOptions options;
        try
        {
            options = complete(common());
            options.Validate();
        }
        catch (FormatException e)
        {
            await error.WriteLineAsync($"windsock bench: error: {e.Message}").ConfigureAwait(false);
            return BadInput;
        }

        try
        {
            var runner = new BenchRunner(output, error, errorIsTerminal: !Console.IsErrorRedirected);
            return await runner.RunAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            // --pid of a process that is gone, and the like: found before any load runs.
            await error.WriteLineAsync($"windsock bench: error: {e.Message}").ConfigureAwait(false);
            return BadInput;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("windsock bench: interrupted").ConfigureAwait(false);
            return Interrupted;
        }
    }

    /// <summary>The options every mode has: where to go, for how long, and how to report.</summary>
    private sealed class CommonOptions
    {
        private readonly Option<string?> _proxy = new("--proxy", "-x")
        {
            Description = "Proxy to go through, loopback only: IP:PORT (SOCKS5) or socks5://[user:pass@]IP:PORT, socks5h:// (destination by name), socks4://[userid@]IP:PORT, socks4a://.",
        };

        private readonly Option<bool> _direct = new("--direct") { Description = "No proxy: measure the loopback baseline." };
        private readonly Option<string?> _user = new("--user") { Description = "SOCKS5 username (with --password) or SOCKS4 user id." };
        private readonly Option<string?> _password = new("--password") { Description = "SOCKS5 password." };
        private readonly Option<string> _targetName = new("--target-name")
        {
            Description = "Destination name sent by socks4a:// and socks5h://; must resolve to loopback only.",
            DefaultValueFactory = _ => "localhost",
        };

        private readonly Option<double> _seconds;
        private readonly Option<double>? _warmup;
        private readonly Option<double> _timeout;
        private readonly Option<string?> _label = new("--label") { Description = "Copied into the output, for scripts." };
        private readonly Option<bool> _json = new("--json") { Description = "One JSON object on stdout instead of a table." };

        private readonly double _maxSeconds;

        public CommonOptions(
            double defaultSeconds, bool hasWarmup = true, double maxSeconds = BenchOptions.MaxSeconds, double defaultTimeout = 5,
            string timeoutMeaning = "Per-connection and setup timeout in seconds.")
        {
            _maxSeconds = maxSeconds;
            _timeout = new Option<double>("--timeout") { Description = timeoutMeaning, DefaultValueFactory = _ => defaultTimeout };
            _seconds = new Option<double>("--seconds", "-s")
            {
                Description = hasWarmup ? $"Measured seconds (at most {maxSeconds})." : $"Seconds to run or hold the sessions open (at most {maxSeconds}).",
                DefaultValueFactory = _ => defaultSeconds,
            };
            if (hasWarmup)
            {
                _warmup = new Option<double>("--warmup") { Description = "Unmeasured lead-in seconds.", DefaultValueFactory = _ => 1 };
            }
        }

        public void AddTo(Command command)
        {
            command.Options.Add(_proxy);
            command.Options.Add(_direct);
            command.Options.Add(_user);
            command.Options.Add(_password);
            command.Options.Add(_targetName);
            command.Options.Add(_seconds);
            if (_warmup is not null)
            {
                command.Options.Add(_warmup);
            }

            command.Options.Add(_timeout);
            command.Options.Add(_label);
            command.Options.Add(_json);
        }

        /// <summary>The common part; throws <see cref="FormatException"/> for the user.</summary>
        public BenchOptions Build(ParseResult parse, string mode)
        {
            string? proxyText = parse.GetValue(_proxy);
            bool direct = parse.GetValue(_direct);
            if (direct == (proxyText is not null))
            {
                throw new FormatException("give exactly one of --proxy ADDRESS or --direct");
            }

            string? user = parse.GetValue(_user);
            string? password = parse.GetValue(_password);
            ProxySpec? proxy = null;
            if (proxyText is not null)
            {
                proxy = ProxySpec.Parse(proxyText).WithCredentials(user, password);
            }
            else if (user is not null || password is not null)
            {
                throw new FormatException("--user/--password need --proxy");
            }

            return new BenchOptions
            {
                Mode = mode,
                Proxy = proxy,
                TargetName = parse.GetValue(_targetName) ?? "localhost",
                Duration = Seconds(parse.GetValue(_seconds), "--seconds", _maxSeconds),
                Warmup = _warmup is null ? TimeSpan.Zero : Seconds(parse.GetValue(_warmup), "--warmup"),
                Timeout = Seconds(parse.GetValue(_timeout), "--timeout"),
                Label = parse.GetValue(_label),
                Json = parse.GetValue(_json),
            };
        }

        private static TimeSpan Seconds(double value, string name, double max = BenchOptions.MaxSeconds) =>
            double.IsFinite(value) && value >= 0 && value <= max
                ? TimeSpan.FromSeconds(value)
                : throw new FormatException($"{name} wants seconds in 0..{max}, got {value.ToString(CultureInfo.InvariantCulture)}");
    }
}
