using System.CommandLine;
using System.Globalization;
using System.Text;
using Windsock.Client;

namespace Windsock.Cli;

/// <summary>
/// <c>windsock traceroute [-m MAXHOPS] [-q PROBES] [-w WAIT] [--udp|--icmp] [-4|-6] [--json] [--proxy URL]... HOST</c>:
/// the path from the route's proxy to HOST (NEC's TRACEROUTE, docs/protocol-extensions.md), printed like traceroute.
/// </summary>
/// <remarks>Exit codes: 0 the run finished (reached or not); 2 routing, proxy or argument failure.</remarks>
internal static class ClientTracerouteCommand
{
    private const string Name = "traceroute";

    public static Command Create()
    {
        var host = new Argument<string>("HOST") { Description = "The name (resolved by the proxy) or address to trace." };
        var maxHops = new Option<int>("-m", "--max-hops") { Description = "The largest TTL (default 30).", DefaultValueFactory = _ => 30 };
        var probes = new Option<int>("-q", "--queries") { Description = "Probes per hop (default 3).", DefaultValueFactory = _ => 3 };
        var wait = new Option<double?>("-w", "--wait") { Description = "Seconds to wait for each probe's answer (default 3)." };
        var udp = new Option<bool>("--udp", "-U") { Description = "UDP probes, as tracepath (the default)." };
        var icmp = new Option<bool>("--icmp", "-I") { Description = "ICMP echo probes." };
        var v4 = new Option<bool>("-4") { Description = "Trace the name's IPv4 address." };
        var v6 = new Option<bool>("-6") { Description = "Trace the name's IPv6 address." };
        var json = new Option<bool>("--json") { Description = "One JSON object per result line instead of traceroute's text." };
        var proxy = ClientRouting.ProxyOption();
        var verbose = ClientRouting.VerboseOption();
        var command = new Command(Name, "Trace the path from the proxy of the route to HOST (real probes sent by the proxy).")
        {
            host, maxHops, probes, wait, udp, icmp, v4, v6, json, proxy, verbose,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            if ((result.GetValue(v4) && result.GetValue(v6)) || (result.GetValue(udp) && result.GetValue(icmp)))
            {
                await Console.Error.WriteLineAsync("windsock traceroute: -4 and -6, and --udp and --icmp, exclude each other").ConfigureAwait(false);
                return 2;
            }

            if (result.GetValue(maxHops) is < 1 or > 255 || result.GetValue(probes) is < 1 or > 10)
            {
                await Console.Error.WriteLineAsync("windsock traceroute: -m is 1 to 255, -q is 1 to 10").ConfigureAwait(false);
                return 2;
            }

            var options = new SocksTracerouteOptions
            {
                MaxHops = result.GetValue(maxHops),
                ProbesPerHop = result.GetValue(probes),
                Timeout = ClientProbeRoute.Seconds(result.GetValue(wait)),
                Probe = result.GetValue(icmp) ? SocksTraceProbe.Icmp : SocksTraceProbe.Udp,
                Family = result.GetValue(v4) ? 4 : result.GetValue(v6) ? 6 : null,
            };
            return await RunAsync(result.GetRequiredValue(host), options, result.GetValue(json), result.GetValue(proxy), result.GetValue(verbose), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(string host, SocksTracerouteOptions options, bool json, string[]? proxies, bool verbose, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        var hop = new StringBuilder();
        int hopTtl = 0;
        string? lastFrom = null;

        async Task FlushHopAsync()
        {
            if (hop.Length > 0)
            {
                await output.WriteLineAsync(hop.ToString()).ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                hop.Clear();
            }
        }

        async Task StartHopAsync(int ttl)
        {
            if (ttl != hopTtl)
            {
                await FlushHopAsync().ConfigureAwait(false);
                hopTtl = ttl;
                lastFrom = null;
                hop.Append(ttl.ToString(CultureInfo.InvariantCulture).PadLeft(2));
            }
        }

        return await ClientProbeRoute.RunAsync(Name, host, proxies, verbose, (client, token) => client.TracerouteAsync(host, options, token), async probeEvent =>
        {
            if (json)
            {
                await output.WriteLineAsync(ClientProbeRoute.Json(probeEvent)).ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                return;
            }

            switch (probeEvent)
            {
                case SocksProbeStarted s:
                    await output.WriteLineAsync($"traceroute to {host} ({s.Target}), {options.MaxHops} hops max, {(options.Probe == SocksTraceProbe.Icmp ? "ICMP" : "UDP")} probes from the proxy").ConfigureAwait(false);
                    break;
                case SocksTracerouteHop h:
                    await StartHopAsync(h.Ttl).ConfigureAwait(false);
                    string from = h.From.ToString();
                    if (from != lastFrom)
                    {
                        hop.Append("  ").Append(from);
                        lastFrom = from;
                    }

                    hop.Append("  ").Append(ClientProbeRoute.Ms(h.RoundTrip)).Append(" ms");
                    if (!h.IsTarget && h.Kind != "time-exceeded")
                    {
                        hop.Append(h.Kind switch { "host-unreachable" => " !H", "net-unreachable" => " !N", "protocol-unreachable" => " !P", "prohibited" => " !X", _ => $" !<{h.Kind}>" });
                    }

                    break;
                case SocksProbeTimeout t:
                    await StartHopAsync(t.Ttl).ConfigureAwait(false);
                    hop.Append("  *");
                    break;
                case SocksProbeStopped s:
                    await FlushHopAsync().ConfigureAwait(false);
                    await output.WriteLineAsync($"windsock traceroute: the proxy stopped: {s.Reason}").ConfigureAwait(false);
                    break;
                case SocksProbeSummary:
                    await FlushHopAsync().ConfigureAwait(false);
                    break;
            }
        }, cancellationToken).ConfigureAwait(false);
    }
}
