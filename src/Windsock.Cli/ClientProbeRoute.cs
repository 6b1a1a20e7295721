using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Windsock.Client;
using Windsock.Client.Routing;
using Windsock.Protocol.Probes;

namespace Windsock.Cli;

/// <summary>
/// What `windsock ping` and `windsock traceroute` share: the route to the target from the client routing file
/// (or --proxy), the run through the route's proxies (the next on an unreachable first hop, as connections
/// fall back), errors in one line, and --json output (one JSON object per result line).
/// </summary>
internal static class ClientProbeRoute
{
    /// <summary>Runs <paramref name="run"/> through the route's proxies; writes each event with <paramref name="print"/>. Exit code.</summary>
    public static async Task<int> RunAsync(
        string name, string host, string[]? proxies, bool verbose,
        Func<SocksClient, CancellationToken, IAsyncEnumerable<SocksProbeEvent>> run,
        Func<SocksProbeEvent, Task> print, CancellationToken cancellationToken)
    {
        TextWriter error = Console.Error;
        host = host.Trim();
        if (host.Length == 0)
        {
            await error.WriteLineAsync($"windsock {name}: give a host").ConfigureAwait(false);
            return 2;
        }

        Router? router = ClientRouting.Build(name, proxies, verbose, error);
        if (router is null)
        {
            return 2;
        }

        Route route = router.GetRoute(host.Trim('[', ']'), 0);
        if (route.Action == RouteAction.Deny)
        {
            await error.WriteLineAsync($"windsock {name}: {host}: denied by the routing file ({route})").ConfigureAwait(false);
            return 2;
        }

        if (route.Action == RouteAction.Direct)
        {
            await error.WriteLineAsync($"windsock {name}: {host}: the route is direct ({route}); windsock {name} probes only from a proxy, use the system's {name} for direct").ConfigureAwait(false);
            return 2;
        }

        for (int i = 0; ; i++)
        {
            var client = new SocksClient(route.Proxies[i], router.Options);
            bool started = false;
            try
            {
                await foreach (var probeEvent in run(client, cancellationToken).ConfigureAwait(false))
                {
                    started = true;
                    await print(probeEvent).ConfigureAwait(false);
                }

                return 0;
            }
            catch (SocksException e) when (!started && e.Kind == SocksErrorKind.ProxyUnreachable && e.HopIndex == 0 && i + 1 < route.Proxies.Count)
            {
                if (verbose)
                {
                    await error.WriteLineAsync($"windsock {name}: {route.Proxies[i]} unreachable; trying {route.Proxies[i + 1]}").ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is SocksException or SocketException or NotSupportedException or ArgumentException)
            {
                await error.WriteLineAsync($"windsock {name}: {host}: {ClientRouting.Describe(e)}").ConfigureAwait(false);
                return 2;
            }
            catch (OperationCanceledException)
            {
                return 2;
            }
        }
    }

    /// <summary>One event as a JSON object: "type" is the line's word (or "start"), the fields as numbers where they are numbers.</summary>
    public static string Json(SocksProbeEvent probeEvent)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            if (probeEvent is SocksProbeStarted started)
            {
                json.WriteString("type", "start");
                json.WriteString("target", started.Target.ToString());
            }
            else if (ProbeLine.TryParse(System.Text.Encoding.ASCII.GetBytes(probeEvent.Line + "\n"), out var line).IsDone)
            {
                json.WriteString("type", line!.Word);
                foreach (var (key, value) in line.Fields)
                {
                    if (line.TryGetNumber(key, out double number) && key != "from")
                    {
                        json.WriteNumber(key, number);
                    }
                    else
                    {
                        json.WriteString(key, value);
                    }
                }
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Milliseconds as ping prints them.</summary>
    public static string Ms(TimeSpan time) => time.TotalMilliseconds.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Seconds from a command-line value ("0.2"), or null when it is not a positive number.</summary>
    public static TimeSpan? Seconds(double? value) => value is > 0 and < 3600 ? TimeSpan.FromSeconds(value.Value) : null;
}
