using System.Diagnostics;
using System.Globalization;
using System.Net;
using Windsock.Protocol.Probes;

namespace Windsock.Server.Probes;

/// <summary>
/// One ping on its own thread: an echo request every interval, each answered by its reply, an ICMP error
/// or its timeout, until the count is reached (then the last probe's wait) or <c>stop</c>.
/// </summary>
internal static class PingRun
{
    public static ProbeTally Run(ProbeSocket socket, IPAddress target, ProbeOptions options, int limit, Action<ProbeLine> emit, CancellationToken stop)
    {
        var tally = new ProbeTally();
        var endPoint = new IPEndPoint(target, 0);
        var pending = new Dictionary<ushort, long>();
        int count = options.Count == 0 ? limit : Math.Min(options.Count, limit);
        var timeout = options.EffectiveTimeout(traceroute: false);
        // A raw socket sees every echo reply on the host: ours carry this identifier. Datagram sockets get their own from the kernel.
        ushort identifier = (ushort)Random.Shared.Next(1, 65536);
        var send = new byte[IcmpEcho.HeaderLength + options.Size];
        var receive = new byte[65536];
        long nextSend = Stopwatch.GetTimestamp();
        ushort sequence = 0;
        using var wake = stop.Register(socket.Wake);
        while (!stop.IsCancellationRequested)
        {
            long now = Stopwatch.GetTimestamp();
            if (tally.Sent < count && now >= nextSend)
            {
                sequence++;
                int length = IcmpEcho.WriteRequest(send, socket.IsIPv6, identifier, sequence, options.Size);
                var error = socket.Send(send.AsSpan(0, length), endPoint);
                // Timed after the send returns and before the receive path runs: the first call's JIT is no round trip.
                long sentAt = Stopwatch.GetTimestamp();
                tally.CountSent();
                if (error != System.Net.Sockets.SocketError.Success)
                {
                    tally.CountError();
                    emit(new ProbeLine(ProbeWords.Error, Seq(sequence), new("kind", "send-failed"), new("reason", $"sending failed here: {error}")));
                }
                else
                {
                    pending[sequence] = sentAt;
                }

                nextSend += (long)(options.Interval.TotalSeconds * Stopwatch.Frequency);
            }

            foreach (var expired in pending.Where(p => Stopwatch.GetElapsedTime(p.Value, now) >= timeout).Select(p => p.Key).ToList())
            {
                pending.Remove(expired);
                emit(new ProbeLine(ProbeWords.Timeout, Seq(expired)));
            }

            if (tally.Sent >= count && pending.Count == 0)
            {
                if (options.Count == 0 || options.Count > limit)
                {
                    tally.StoppedBecause = $"stopped after {limit} probes, the server's limit (ping.max_count)";
                }

                break;
            }

            var wait = pending.Count == 0 ? TimeSpan.MaxValue : pending.Values.Min(sent => timeout - Stopwatch.GetElapsedTime(sent, now));
            if (tally.Sent < count)
            {
                var untilSend = Stopwatch.GetElapsedTime(now, Math.Max(now, nextSend));
                wait = wait < untilSend ? wait : untilSend;
            }

            if (!socket.Wait(wait < TimeSpan.Zero ? TimeSpan.Zero : wait))
            {
                continue;
            }

            long at = Stopwatch.GetTimestamp();
            while (socket.TryReceive(receive, out var got))
            {
                var data = receive.AsSpan(0, got.Length);
                if (got.IsError)
                {
                    if (IcmpEcho.TryReadQuotedRequest(data, socket.IsIPv6, out ushort id, out ushort seq) && Ours(socket, id, identifier) && pending.Remove(seq))
                    {
                        tally.CountError();
                        emit(new ProbeLine(ProbeWords.Error, Seq(seq), new("from", got.From.ToString()), new("kind", ProbeAnswer.Of(socket.IsIPv6, got.IcmpType, got.IcmpCode))));
                    }
                }
                else if (IcmpEcho.TryReadReply(data, socket.IsIPv6, out ushort id, out ushort seq) && Ours(socket, id, identifier) && pending.Remove(seq, out long sent))
                {
                    double rtt = Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds;
                    tally.CountAnswer(rtt);
                    emit(new ProbeLine(ProbeWords.Reply, Seq(seq), new("from", got.From.ToString()), new("bytes", Text(got.Length)), new("ttl", Text(got.Ttl)), new("rtt_ms", ProbeLine.Number(rtt))));
                }
            }
        }

        return tally;
    }

    private static bool Ours(ProbeSocket socket, ushort id, ushort identifier) => socket.Kind != ProbeSocketKind.IcmpRaw || id == identifier;

    private static KeyValuePair<string, string> Seq(ushort sequence) => new("seq", Text(sequence));

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
