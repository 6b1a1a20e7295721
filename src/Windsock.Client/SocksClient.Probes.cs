using System.Net;
using System.Runtime.CompilerServices;
using Windsock.Client.Handshake;
using Windsock.Protocol;
using Windsock.Protocol.Probes;

namespace Windsock.Client;

/// <summary>NEC's PING and TRACEROUTE commands (SOCKS5 CMD X'80' / X'81'), served by Windsock.</summary>
public sealed partial class SocksClient
{
    /// <summary>How long a stopped run waits for the proxy's summary.</summary>
    private static readonly TimeSpan SummaryWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Pings <paramref name="host"/> from the chain's last hop (NEC's PING, SOCKS5 CMD X'80'): the proxy sends real
    /// ICMP echo requests and reports each reply, timeout and error, then a summary.
    /// Cancelling <paramref name="cancellationToken"/> once the run has started ends it as the protocol does:
    /// the end byte is sent and the proxy's summary is still yielded (cancelling before the proxy's reply throws).
    /// </summary>
    /// <param name="host">A name (the proxy resolves it) or an address.</param>
    /// <param name="options">Count, interval, size, timeout, family; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the run (see above).</param>
    /// <returns><see cref="SocksProbeStarted"/>, then <see cref="SocksPingReply"/>, <see cref="SocksProbeTimeout"/>, <see cref="SocksPingError"/>, <see cref="SocksProbeStopped"/>, and last <see cref="SocksProbeSummary"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or not a valid SOCKS host name.</exception>
    /// <exception cref="NotSupportedException">The last hop does not speak SOCKS5.</exception>
    /// <exception cref="SocksException">The proxy refused (REP 2: rules or limits; REP 7: PING not served), failed, timed out or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the proxy replied.</exception>
    public IAsyncEnumerable<SocksProbeEvent> PingAsync(string host, SocksPingOptions? options = null, CancellationToken cancellationToken = default)
    {
        var o = options ?? new SocksPingOptions();
        var wire = new ProbeOptions { Count = o.Count, Interval = o.Interval, Size = o.Size, Timeout = o.Timeout, Family = o.Family };
        return RunProbeAsync(ProxyCommand.Ping, host, wire.ToLine(traceroute: false), cancellationToken);
    }

    /// <summary>
    /// Traces the path from the chain's last hop to <paramref name="host"/> (NEC's TRACEROUTE, SOCKS5 CMD X'81'): the proxy
    /// sends probes with growing TTL and reports who answered each. Cancelling behaves as for <see cref="PingAsync"/>.
    /// </summary>
    /// <param name="host">A name (the proxy resolves it) or an address.</param>
    /// <param name="options">Maximum hops, probes per hop, timeout, probe kind, family; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the run (see <see cref="PingAsync"/>).</param>
    /// <returns><see cref="SocksProbeStarted"/>, then <see cref="SocksTracerouteHop"/>, <see cref="SocksProbeTimeout"/>, <see cref="SocksProbeStopped"/>, and last <see cref="SocksProbeSummary"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or not a valid SOCKS host name.</exception>
    /// <exception cref="NotSupportedException">The last hop does not speak SOCKS5.</exception>
    /// <exception cref="SocksException">The proxy refused, failed, timed out or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the proxy replied.</exception>
    public IAsyncEnumerable<SocksProbeEvent> TracerouteAsync(string host, SocksTracerouteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var o = options ?? new SocksTracerouteOptions();
        var wire = new ProbeOptions
        {
            MaxHops = o.MaxHops,
            Probes = o.ProbesPerHop,
            Timeout = o.Timeout,
            Probe = o.Probe == SocksTraceProbe.Icmp ? TraceProbe.Icmp : TraceProbe.Udp,
            Family = o.Family,
        };
        return RunProbeAsync(ProxyCommand.Traceroute, host, wire.ToLine(traceroute: true), cancellationToken);
    }

    private async IAsyncEnumerable<SocksProbeEvent> RunProbeAsync(ProxyCommand command, string host, ProbeLine options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        var last = LastHop;
        RequireSocks5(last, ProxyCommandNames.Of(command));
        SocksEndpoint target;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            target = SocksEndpoint.FromAddress(literal, 0);
        }
        else if (HostName.Validate(host) is var error and not ProtocolError.None)
        {
            throw last.AddressNotSupported(host, $"a SOCKS host name is 1 to 255 printable ASCII characters ({error})");
        }
        else
        {
            target = SocksEndpoint.FromHost(host, 0);
        }

        var optionsLine = System.Text.Encoding.ASCII.GetBytes(options.ToString());
        var (connection, bound) = await RunAsync(async token =>
        {
            var buffer = new byte[2048];
            var opened = await Tunnel.OpenToLastHopAsync(Chain, buffer, token).ConfigureAwait(false);
            try
            {
                return (opened, await HopHandshake.RequestAsync(opened, last, command, target, buffer, token, optionsLine).ConfigureAwait(false));
            }
            catch
            {
                opened.Dispose();
                throw;
            }
        }, cancellationToken).ConfigureAwait(false);

        using (connection)
        {
            yield return new SocksProbeStarted { Target = bound.Address ?? literal ?? IPAddress.None };
            var stream = connection.Stream;
            using var summaryDeadline = new CancellationTokenSource();
            // The end byte: one byte, as NEC's clients send it; then the summary has a bounded time to arrive.
            using var stopping = cancellationToken.Register(() =>
            {
                summaryDeadline.CancelAfter(SummaryWait);
                _ = SendEndByteAsync(stream);
            });
            var buffer = new byte[ProbeLine.MaxLength * 2];
            int filled = 0;
            while (true)
            {
                int n;
                try
                {
                    n = await stream.ReadAsync(buffer.AsMemory(filled), summaryDeadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                catch (IOException) when (cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }

                if (n == 0)
                {
                    yield break;
                }

                filled += n;
                int used = 0;
                while (true)
                {
                    var result = ProbeLine.TryParse(buffer.AsSpan(used, filled - used), out var line);
                    if (result.IsError)
                    {
                        throw last.Violation($"its {ProxyCommandNames.Of(command)} result line breaks the grammar ({result.Error})", target.ToString());
                    }

                    if (!result.IsDone)
                    {
                        break;
                    }

                    used += result.Consumed;
                    if (ProbeEvents.From(line!) is { } probeEvent)
                    {
                        yield return probeEvent;
                        if (probeEvent is SocksProbeSummary)
                        {
                            yield break;
                        }
                    }
                }

                buffer.AsSpan(used, filled - used).CopyTo(buffer);
                filled -= used;
            }
        }
    }

    private static async Task SendEndByteAsync(Stream stream)
    {
        try
        {
            await stream.WriteAsync(new byte[1]).ConfigureAwait(false);
            await stream.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Closed already: the proxy ends the run on the close just as well.
        }
    }
}
