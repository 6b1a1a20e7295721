using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Windsock.Protocol.Probes;

namespace Windsock.Server.Probes;

/// <summary>
/// One traceroute on its own thread: for TTL 1, 2, … each probe goes out with that TTL / hop limit and
/// waits for its answer: a router's Time Exceeded from the error queue, the target's answer (echo reply,
/// or Port Unreachable for UDP probes), any other Destination Unreachable, or its timeout. Stops after
/// the hop where the target answered or the path ended, at the maximum TTL, or at <c>stop</c>.
/// Probes go one at a time, at most <c>maxRate</c> a second.
/// </summary>
internal static class TraceRun
{
    public static ProbeTally Run(ProbeSocket socket, IPAddress target, ProbeOptions options, int maxRate, Action<ProbeLine> emit, CancellationToken stop)
    {
        var tally = new ProbeTally();
        var timeout = options.EffectiveTimeout(traceroute: true);
        var gap = TimeSpan.FromSeconds(1.0 / maxRate);
        ushort identifier = (ushort)Random.Shared.Next(1, 65536);
        bool icmp = socket.Kind != ProbeSocketKind.Udp;
        var send = new byte[IcmpEcho.HeaderLength + 32];
        var receive = new byte[65536];
        long lastSend = 0;
        int index = 0;
        using var wake = stop.Register(socket.Wake);
        for (int ttl = 1; ttl <= options.MaxHops && !stop.IsCancellationRequested; ttl++)
        {
            tally.Hops = ttl;
            bool ends = false;
            socket.SetHopLimit(ttl);
            for (int probe = 1; probe <= options.Probes && !stop.IsCancellationRequested; probe++)
            {
                var sinceLast = Stopwatch.GetElapsedTime(lastSend);
                if (lastSend != 0 && sinceLast < gap && socket.WaitOnlyForStop(gap - sinceLast, stop))
                {
                    break;
                }

                index++;
                int port = (options.Port + index - 1) % 65536;
                int length;
                IPEndPoint endPoint;
                if (icmp)
                {
                    length = IcmpEcho.WriteRequest(send, socket.IsIPv6, identifier, (ushort)index, 32);
                    endPoint = new IPEndPoint(target, 0);
                }
                else
                {
                    // The probe's number in its payload too; the destination port identifies it even when a router quotes only 8 bytes.
                    BinaryPrimitives.WriteInt32BigEndian(send, index);
                    length = 32;
                    endPoint = new IPEndPoint(target, port == 0 ? 1 : port);
                }

                var failed = socket.Send(send.AsSpan(0, length), endPoint);
                lastSend = Stopwatch.GetTimestamp();
                tally.CountSent();
                if (failed != System.Net.Sockets.SocketError.Success)
                {
                    emit(new ProbeLine(ProbeWords.Error, new KeyValuePair<string, string>("reason", $"sending the probe with TTL {ttl} failed here: {failed}")));
                    tally.StoppedBecause = $"sending failed: {failed}";
                    return tally;
                }

                string? kind = AwaitAnswer(socket, receive, icmp, identifier, index, endPoint.Port, lastSend, timeout, stop, out var from, out double rtt);
                if (stop.IsCancellationRequested && kind is null)
                {
                    break;
                }

                if (kind is null)
                {
                    emit(new ProbeLine(ProbeWords.Timeout, new("ttl", Text(ttl)), new("probe", Text(probe))));
                    continue;
                }

                tally.CountAnswer(rtt);
                emit(new ProbeLine(ProbeWords.Hop, new("ttl", Text(ttl)), new("probe", Text(probe)), new("from", from!.ToString()), new("rtt_ms", ProbeLine.Number(rtt)), new("kind", kind)));
                if (ProbeAnswer.EndsPath(kind))
                {
                    ends = true;
                    tally.Reached |= ProbeAnswer.IsTarget(kind);
                }
            }

            if (ends)
            {
                break;
            }
        }

        return tally;
    }

    /// <summary>Waits for the answer to probe <paramref name="index"/>; its kind, or null after the timeout.</summary>
    private static string? AwaitAnswer(ProbeSocket socket, byte[] receive, bool icmp, ushort identifier, int index, int port, long sent, TimeSpan timeout, CancellationToken stop, out IPAddress? from, out double rtt)
    {
        from = null;
        rtt = 0;
        while (!stop.IsCancellationRequested)
        {
            var left = timeout - Stopwatch.GetElapsedTime(sent);
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            if (!socket.Wait(left))
            {
                continue;
            }

            long at = Stopwatch.GetTimestamp();
            while (socket.TryReceive(receive, out var got))
            {
                var data = receive.AsSpan(0, got.Length);
                bool ours;
                if (got.IsError)
                {
                    ours = icmp
                        ? IcmpEcho.TryReadQuotedRequest(data, socket.IsIPv6, out ushort id, out ushort seq) && seq == (ushort)index && (socket.Kind != ProbeSocketKind.IcmpRaw || id == identifier)
                        : got.OriginalPort == port;
                }
                else
                {
                    ours = icmp && IcmpEcho.TryReadReply(data, socket.IsIPv6, out ushort id, out ushort seq) && seq == (ushort)index && (socket.Kind != ProbeSocketKind.IcmpRaw || id == identifier);
                }

                if (ours)
                {
                    rtt = Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds;
                    from = got.From;
                    return got.IsError ? ProbeAnswer.Of(socket.IsIPv6, got.IcmpType, got.IcmpCode) : ProbeAnswer.EchoReply;
                }
            }
        }

        return null;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
