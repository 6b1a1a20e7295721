using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Probes;
using Windsock.Protocol.Socks5;
using Windsock.Server.Outbound;
using Windsock.Server.Probes;
using Windsock.Server.Sessions;
using Windsock.Server.Sessions.Steps;

namespace Windsock.Server.Commands;

/// <summary>
/// NEC's PING (CMD X'80') and TRACEROUTE (CMD X'81'), docs/protocol-extensions.md: the options line (when
/// RSV is X'01'), the target resolved and decided by the rules, the session limits, the reply, then result
/// lines from the probe thread until the run is done or the client's end byte (or close) stops it, and the
/// summary. Every probe is real; the probe socket is closed before the session ends.
/// </summary>
internal static class ProbeCommand
{
    /// <summary>The dispatch step's entry for PING and TRACEROUTE (SOCKS5 only: SOCKS4 requests carry only CONNECT or BIND).</summary>
    /// <param name="client">The client side.</param>
    /// <param name="request">The decided request: command, target, RSV saying whether options follow, the reader they come from.</param>
    /// <param name="cancellationToken">Session shutdown.</param>
    public static async Task HandleAsync(ClientConnection client, SessionRequest request, CancellationToken cancellationToken)
    {
        var reader = request.Reader;
        var access = request.Pending;
        var context = client.Context;
        var record = client.Record;
        var limits = context.Options.Ping;
        bool traceroute = request.Command == Socks5Command.Traceroute;
        string name = traceroute ? "traceroute" : "ping";

        var options = ProbeOptions.Defaults;
        if (request.Reserved == Socks5Request.ProbeOptionsFollow)
        {
            using var deadline = new CancellationTokenSource(context.Options.NegotiationTimeout, context.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
            string? problem;
            try
            {
                var line = await reader.ReadAsync<ProbeLine?>(ParseOptions, linked.Token).ConfigureAwait(false);
                options = ProbeOptions.TryParse(line!, traceroute, out problem) ?? options;
            }
            catch (SocksProtocolException e)
            {
                problem = $"the options line is not in the documented grammar ({e.Error})";
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                problem = "no options line within the negotiation timeout";
            }
            catch (PeerClosedException)
            {
                record.EndReason = "client closed before its options line";
                return;
            }

            if (problem is not null)
            {
                await RefuseAsync(client, Socks5ReplyCode.GeneralFailure, $"bad {name} options: {problem}", cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        if (LimitProblem(options, traceroute, limits) is { } limit)
        {
            await RefuseAsync(client, Socks5ReplyCode.NotAllowedByRuleset, limit, cancellationToken).ConfigureAwait(false);
            return;
        }

        var target = await ChooseTargetAsync(client, request.Destination, options.Family, access, cancellationToken).ConfigureAwait(false);
        if (target is null)
        {
            return;
        }

        string who = record.User ?? record.Client.Address.ToString();
        using var lease = ProbeSessions.TryEnter(who, limits.MaxSessionsPerUser);
        if (lease is null)
        {
            await RefuseAsync(client, Socks5ReplyCode.NotAllowedByRuleset,
                $"{(record.User is null ? "client " : "user ")}{who} already runs {limits.MaxSessionsPerUser} ping/traceroute sessions (ping.max_sessions_per_user)", cancellationToken).ConfigureAwait(false);
            return;
        }

        ProbeSocket? socket;
        string? unavailable = null;
        if (traceroute && options.Probe == TraceProbe.Udp)
        {
            socket = ProbeSocket.Open(target.AddressFamily, ProbeSocketKind.Udp);
        }
        else
        {
            socket = ProbeCapabilities.OpenIcmp(target.AddressFamily, out unavailable);
        }

        if (socket is null)
        {
            await RefuseAsync(client, Socks5ReplyCode.GeneralFailure, unavailable!, cancellationToken).ConfigureAwait(false);
            return;
        }

        using (socket)
        {
            await client.ReplyAsync(Socks5ReplyCode.Succeeded, new IPEndPoint(target, 0), cancellationToken).ConfigureAwait(false);
            bool endedEarly = !reader.Leftover.IsEmpty;
            reader.Dispose();
            await StreamAsync(client, socket, target, options, traceroute, endedEarly, cancellationToken).ConfigureAwait(false);
        }
    }

    private static ParseResult ParseOptions(ReadOnlySpan<byte> input, out ProbeLine? line) =>
        ProbeLine.TryParse(input, out line, ProbeLine.MaxOptionsLength);

    /// <summary>The server's limits on the options: a reason when they refuse them.</summary>
    private static string? LimitProblem(ProbeOptions options, bool traceroute, Configuration.PingOptions limits)
    {
        if (traceroute)
        {
            int probes = options.MaxHops * options.Probes;
            return probes > limits.MaxCount
                ? $"traceroute of up to {probes} probes (max_hops {options.MaxHops} x probes {options.Probes}) is above the server's limit of {limits.MaxCount} (ping.max_count)"
                : null;
        }

        if (options.Count > limits.MaxCount)
        {
            return $"count {options.Count} is above the server's limit of {limits.MaxCount} probes (ping.max_count)";
        }

        if (options.Interval.TotalSeconds * limits.MaxRate < 1 - 1e-9)
        {
            return $"interval {ProbeLine.Number(options.Interval.TotalSeconds)}s is below the server's minimum of {ProbeLine.Number(1.0 / limits.MaxRate)}s (ping.max_rate = {limits.MaxRate} probes per second)";
        }

        return options.Size > limits.MaxSize ? $"size {options.Size} is above the server's limit of {limits.MaxSize} bytes (ping.max_size)" : null;
    }

    /// <summary>
    /// The address to probe: the literal, or the first address of the name (of the asked family) that the rules
    /// allow, as CONNECT decides names. Null after a reply refused it.
    /// </summary>
    private static async Task<IPAddress?> ChooseTargetAsync(ClientConnection client, SocksEndpoint destination, int? family, AccessRequest? access, CancellationToken cancellationToken)
    {
        var context = client.Context;
        IPAddress[] addresses;
        if (destination.Address is { } literal)
        {
            addresses = [literal.IsIPv4MappedToIPv6 ? literal.MapToIPv4() : literal];
        }
        else
        {
            using var deadline = new CancellationTokenSource(context.Options.ConnectTimeout, context.Time);
            var lookup = await NameLookup.ResolveAsync(destination.Host!, context.Options.ConnectTimeout, deadline.Token, cancellationToken).ConfigureAwait(false);
            if (!lookup.Succeeded)
            {
                await RefuseAsync(client, lookup.Code, lookup.Failure!, cancellationToken).ConfigureAwait(false);
                return null;
            }

            addresses = lookup.Addresses;
        }

        if (family is { } wanted)
        {
            var kept = addresses.Where(a => a.AddressFamily == (wanted == 6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork)).ToArray();
            if (kept.Length == 0)
            {
                await RefuseAsync(client, Socks5ReplyCode.HostUnreachable, $"{destination.Host ?? addresses[0].ToString()} has no IPv{wanted} address", cancellationToken).ConfigureAwait(false);
                return null;
            }

            addresses = kept;
        }

        if (access is null)
        {
            return addresses[0];
        }

        var (decision, allowed) = context.Access.DecideEach(access, addresses);
        if (!decision.IsAllowed)
        {
            await client.DenyAsync(decision, cancellationToken).ConfigureAwait(false);
            return null;
        }

        context.Access.Apply(decision, client.Record, context);
        return allowed[0];
    }

    /// <summary>The run: the probe thread emits lines, this sends them; one byte (or a close) from the client stops it.</summary>
    private static async Task StreamAsync(ClientConnection client, ProbeSocket socket, IPAddress target, ProbeOptions options, bool traceroute, bool endedEarly, CancellationToken cancellationToken)
    {
        var record = client.Record;
        var limits = client.Context.Options.Ping;
        var lines = Channel.CreateUnbounded<ProbeLine>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (endedEarly)
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }

        var started = Stopwatch.GetTimestamp();
        var probing = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    return traceroute
                        ? TraceRun.Run(socket, target, options, limits.MaxRate, line => lines.Writer.TryWrite(line), stop.Token)
                        : PingRun.Run(socket, target, options, limits.MaxCount, line => lines.Writer.TryWrite(line), stop.Token);
                }
                finally
                {
                    lines.Writer.TryComplete();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        var endByte = WaitForEndAsync(client.Socket, stop);
        string ending = "finished";
        var buffer = ArrayPool<byte>.Shared.Rent(ProbeLine.MaxLength);
        try
        {
            await foreach (var line in lines.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                await SendLineAsync(client, line, buffer, cancellationToken).ConfigureAwait(false);
            }

            if (endedEarly)
            {
                ending = "stopped by the client's end byte";
            }
            else if (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Only the client's byte or close cancels the run besides shutdown: its task is finishing.
                ending = await endByte.ConfigureAwait(false);
            }

            var tally = await probing.ConfigureAwait(false);
            if (tally.StoppedBecause is { } because)
            {
                await SendLineAsync(client, new ProbeLine(ProbeWords.Error, new KeyValuePair<string, string>("reason", because)), buffer, cancellationToken).ConfigureAwait(false);
                ending = because;
            }
            else if (cancellationToken.IsCancellationRequested)
            {
                ending = "server shutdown";
                await SendLineAsync(client, new ProbeLine(ProbeWords.Error, new KeyValuePair<string, string>("reason", ending)), buffer, CancellationToken.None).ConfigureAwait(false);
            }

            var summary = traceroute ? tally.TraceSummary() : tally.PingSummary(Stopwatch.GetElapsedTime(started));
            record.EndReason = $"{(traceroute ? "traceroute" : "ping")} {target}: {tally.Describe()}{(traceroute ? $", {tally.Hops} hops, target {(tally.Reached ? "reached" : "not reached")}" : string.Empty)}; {ending}";
            if (ending != "closed by the client")
            {
                await SendLineAsync(client, summary, buffer, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (SocketException e)
        {
            record.EndReason ??= $"client connection failed: {e.SocketErrorCode}";
        }
        finally
        {
            // The probe thread ends before its socket is closed (the caller's using): no probe outlives the session.
            await stop.CancelAsync().ConfigureAwait(false);
            if (!probing.IsCompleted)
            {
                await ((Task)probing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            try
            {
                await endByte.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Waits for the client's end byte or close, then stops the run; says which it was.</summary>
    private static async Task<string> WaitForEndAsync(Socket socket, CancellationTokenSource stop)
    {
        var one = new byte[1];
        string ending;
        try
        {
            int n = await socket.ReceiveAsync(one, SocketFlags.None, stop.Token).ConfigureAwait(false);
            ending = n == 0 ? "closed by the client" : "stopped by the client's end byte";
        }
        catch (OperationCanceledException)
        {
            return "finished";
        }
        catch (SocketException)
        {
            ending = "closed by the client";
        }

        await stop.CancelAsync().ConfigureAwait(false);
        return ending;
    }

    private static async Task SendLineAsync(ClientConnection client, ProbeLine line, byte[] buffer, CancellationToken cancellationToken)
    {
        int length = line.Write(buffer);
        await client.SendBytesAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A failure reply with its reason in the request log, and told to clients that asked for reasons (X'E5').</summary>
    private static async Task RefuseAsync(ClientConnection client, Socks5ReplyCode code, string reason, CancellationToken cancellationToken)
    {
        client.Record.EndReason = reason;
        await client.ReplyAsync(code, null, cancellationToken).ConfigureAwait(false);
        if (client.WantsReason && client.Version == SocksVersion.Socks5)
        {
            var buffer = new byte[DenialReason.MaxLength];
            int length = DenialReason.Write(buffer, reason);
            await client.SendBytesAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
    }
}
