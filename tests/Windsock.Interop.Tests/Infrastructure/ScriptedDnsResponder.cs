using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// A DNS responder of the test's own on a loopback address, port 53 (resolv.conf names no port): every
/// query for a name under <see cref="ServfailSuffix"/> gets SERVFAIL, every other query no answer at all
/// (a resolver that times out). It records the names it was asked, so a test knows the server's
/// resolver really came here.
/// </summary>
public sealed class ScriptedDnsResponder : IAsyncDisposable
{
    public const string ServfailSuffix = "servfail.windsock.test";

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="address">A loopback address of its own (127.53.0.1), so port 53 is free whatever else runs here.</param>
    public ScriptedDnsResponder(IPAddress address)
    {
        Address = address;
        _socket.Bind(new IPEndPoint(address, 53));
        _loop = Task.Run(ServeAsync);
    }

    public IPAddress Address { get; }

    public ConcurrentQueue<string> Questions { get; } = new();

    private async Task ServeAsync()
    {
        var buffer = new byte[1500];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult got;
            try
            {
                got = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (QuestionName(buffer.AsSpan(0, got.ReceivedBytes), out int questionEnd) is not { } name)
            {
                continue;
            }

            Questions.Enqueue(name);
            if (!name.EndsWith(ServfailSuffix, StringComparison.OrdinalIgnoreCase))
            {
                continue; // silence: the resolver waits for its timeout
            }

            // The query's ID and question, QR=1, RD copied, RA=1, RCODE=2 (SERVFAIL), no records.
            var reply = buffer.AsSpan(0, questionEnd).ToArray();
            reply[2] = (byte)(0x80 | (reply[2] & 0x01));
            reply[3] = 0x82;
            reply[6] = reply[7] = reply[8] = reply[9] = reply[10] = reply[11] = 0;
            try
            {
                await _socket.SendToAsync(reply, SocketFlags.None, got.RemoteEndPoint, _stop.Token);
            }
            catch (SocketException)
            {
            }
        }
    }

    /// <summary>The first question's name (dotted), and where the question ends (after QTYPE and QCLASS).</summary>
    private static string? QuestionName(ReadOnlySpan<byte> message, out int end)
    {
        end = 0;
        if (message.Length < 12)
        {
            return null;
        }

        var name = new StringBuilder();
        int at = 12;
        while (at < message.Length && message[at] != 0)
        {
            int length = message[at];
            if (length > 63 || at + 1 + length > message.Length)
            {
                return null;
            }

            name.Append(name.Length > 0 ? "." : string.Empty).Append(Encoding.ASCII.GetString(message.Slice(at + 1, length)));
            at += 1 + length;
        }

        end = at + 1 + 4;
        return end <= message.Length ? name.ToString() : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
