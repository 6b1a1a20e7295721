using System.CommandLine;
using System.Net.Sockets;
using Windsock.Client;

namespace Windsock.Cli;

/// <summary>
/// <c>windsock ping [--count COUNT] [-i INTERVAL] [-s SIZE] [-W TIMEOUT] [-4|-6] [--json] [--proxy URL]... HOST</c>:
/// real ICMP echo from the route's proxy (NEC's PING, docs/protocol-extensions.md), printed like iputils ping.
/// Ctrl-C sends the end byte; the proxy's summary is still printed.
/// </summary>
/// <remarks>Exit codes: 0 a reply came back; 1 none did; 2 routing, proxy or argument failure.</remarks>
internal static class ClientPingCommand
{
    private const string Name = "ping";

    public static Command Create()
    {
        var host = new Argument<string>("HOST") { Description = "The name (resolved by the proxy) or address to ping." };
        var count = new Option<int>("--count") { Description = "Stop after COUNT probes (default: until Ctrl-C, or the proxy's limit)." };
        var interval = new Option<double>("-i", "--interval") { Description = "Seconds between probes (default 1).", DefaultValueFactory = _ => 1 };
        var size = new Option<int>("-s", "--size") { Description = "ICMP data bytes (default 56).", DefaultValueFactory = _ => 56 };
        var timeout = new Option<double?>("-W", "--timeout") { Description = "Seconds to wait for each reply (default 2)." };
        var v4 = new Option<bool>("-4") { Description = "Ping the name's IPv4 address." };
        var v6 = new Option<bool>("-6") { Description = "Ping the name's IPv6 address." };
        var json = new Option<bool>("--json") { Description = "One JSON object per result line instead of ping's text." };
        var proxy = ClientRouting.ProxyOption();
        var verbose = ClientRouting.VerboseOption();
        var command = new Command(Name, "Ping HOST from the proxy of the route (real ICMP echo sent by the proxy).")
        {
            host, count, interval, size, timeout, v4, v6, json, proxy, verbose,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (result.GetValue(v4) && result.GetValue(v6))
            {
                await Console.Error.WriteLineAsync("windsock ping: -4 and -6 exclude each other").ConfigureAwait(false);
                return 2;
            }

            if (result.GetValue(count) < 0 || result.GetValue(size) < 0 || ClientProbeRoute.Seconds(result.GetValue(interval)) is null)
            {
                await Console.Error.WriteLineAsync("windsock ping: --count and -s are whole numbers from 0, -i is seconds above 0").ConfigureAwait(false);
                return 2;
            }

            var options = new SocksPingOptions
            {
                Count = result.GetValue(count),
                Interval = ClientProbeRoute.Seconds(result.GetValue(interval))!.Value,
                Size = result.GetValue(size),
                Timeout = ClientProbeRoute.Seconds(result.GetValue(timeout)),
                Family = result.GetValue(v4) ? 4 : result.GetValue(v6) ? 6 : null,
            };
            return await RunAsync(result.GetRequiredValue(host), options, result.GetValue(json), result.GetValue(proxy), result.GetValue(verbose), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(string host, SocksPingOptions options, bool json, string[]? proxies, bool verbose, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        bool received = false;
        string display = host;
        int code = await ClientProbeRoute.RunAsync(Name, host, proxies, verbose, (client, token) => client.PingAsync(host, options, token), async probeEvent =>
        {
            received |= probeEvent is SocksPingReply;
            if (json)
            {
                await output.WriteLineAsync(ClientProbeRoute.Json(probeEvent)).ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                return;
            }

            string? text = probeEvent switch
            {
                SocksProbeStarted s => s.Target.AddressFamily == AddressFamily.InterNetwork
                    ? $"PING {host} ({s.Target}) {options.Size}({options.Size + 28}) bytes of data."
                    : $"PING {host} ({s.Target}) {options.Size} data bytes",
                SocksPingReply r => $"{r.Bytes} bytes from {r.From}: icmp_seq={r.Sequence} ttl={r.Ttl} time={ClientProbeRoute.Ms(r.RoundTrip)} ms",
                SocksProbeTimeout t => $"no answer yet for icmp_seq={t.Sequence}",
                SocksPingError e => $"From {e.From?.ToString() ?? "?"} icmp_seq={e.Sequence} {Describe(e.Kind)}",
                SocksProbeStopped s => $"windsock ping: the proxy stopped: {s.Reason}",
                SocksProbeSummary s => Summary(display, s),
                _ => null,
            };
            if (text is not null)
            {
                await output.WriteLineAsync(text).ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
        return code != 0 ? code : received ? 0 : 1;
    }

    private static string Summary(string host, SocksProbeSummary s)
    {
        string text = $"\n--- {host} ping statistics ---\n{s.Sent} packets transmitted, {s.Answered} received, "
            + (s.Errors > 0 ? $"+{s.Errors} errors, " : string.Empty)
            + $"{Math.Round(s.LossPercent):0}% packet loss, time {(long)s.Elapsed.TotalMilliseconds}ms";
        if (s.Minimum is { } min && s.Average is { } avg && s.Maximum is { } max && s.MeanDeviation is { } mdev)
        {
            text += $"\nrtt min/avg/max/mdev = {ClientProbeRoute.Ms(min)}/{ClientProbeRoute.Ms(avg)}/{ClientProbeRoute.Ms(max)}/{ClientProbeRoute.Ms(mdev)} ms";
        }

        return text;
    }

    /// <summary>iputils' words for the common errors.</summary>
    private static string Describe(string kind) => kind switch
    {
        "host-unreachable" => "Destination Host Unreachable",
        "net-unreachable" => "Destination Net Unreachable",
        "port-unreachable" => "Destination Port Unreachable",
        "prohibited" => "Packet filtered",
        "time-exceeded" => "Time to live exceeded",
        _ => kind,
    };
}
