using System.Net;
using System.Net.Sockets;
using Windsock.Client;

namespace Windsock.Fuzz;

/// <summary>
/// The client library's reply parsing as a fuzz target: <see cref="SocksClient"/> talks to a scripted
/// proxy on 127.0.0.1 whose answers are the input, in pieces cut where the input says, with the pauses
/// it says between them (<see cref="InputSplits"/>). The variant byte picks the call: SOCKS5 CONNECT without or with
/// credentials, SOCKS4, SOCKS4a by name, SOCKS5 BIND, SOCKS5 RESOLVE. Destinations are documentation
/// addresses (192.0.2.1) that only the scripted proxy ever hears of.
/// <para>
/// Rule: the call succeeds or throws <see cref="SocksException"/> (the library's one error for a bad
/// proxy), within the handshake timeout; anything else is a crash.
/// </para>
/// </summary>
public static class ClientTargets
{
    private static readonly Lazy<ScriptedProxy> Proxy = new(() => new ScriptedProxy());
    private static readonly IPAddress Destination = IPAddress.Parse("192.0.2.1");

    public static void ReplyParsing(ReadOnlyMemory<byte> input)
    {
        var splits = LocalOnly(InputSplits.From(input));
        var proxy = Proxy.Value;
        var serving = proxy.ServeOnceAsync(splits.Pieces());
        var (protocol, credentials) = (splits.Variant % 6) switch
        {
            1 => (SocksProtocol.Socks5, new SocksCredentials("fuzz", "fuzz")),
            2 => (SocksProtocol.Socks4, null),
            3 => (SocksProtocol.Socks4a, null),
            _ => (SocksProtocol.Socks5, (SocksCredentials?)null),
        };
        var hop = new ProxyHop(proxy.EndPoint, protocol) { Credentials = credentials };
        var client = new SocksClient(hop, new SocksClientOptions { HandshakeTimeout = TimeSpan.FromSeconds(3), ConnectTimeout = TimeSpan.FromSeconds(3) });
        try
        {
            CallAsync(client, splits.Variant % 6).GetAwaiter().GetResult();
        }
        catch (SocksException)
        {
            // The library's error for a proxy that broke the protocol or refused: what a bad reply must give.
        }
        catch (Exception e)
        {
            throw new FuzzFailure($"the client threw {e.GetType().Name} instead of SocksException: {e}");
        }
        finally
        {
            serving.GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// BIND resolves a name the proxy announces with this machine's resolver, which would send DNS queries
    /// off the machine for whatever name the fuzzer made up. So that first reply's name starts with "..",
    /// an empty label the resolver refuses without a query (a one-byte name becomes an IPv4 address). The
    /// handling of such a refusal is what HandshakeBytesTests checks with a real name path.
    /// </summary>
    private static InputSplits LocalOnly(InputSplits splits)
    {
        // Variant 4, no credentials: 2 bytes of method selection, then VER REP RSV ATYP [LEN NAME...].
        var stream = splits.Stream.Span;
        if (splits.Variant % 6 != 4 || stream.Length < 6 || stream[5] != 3)
        {
            return splits;
        }

        byte[] safe = stream.ToArray();
        if (safe.Length > 8 && safe[6] >= 2)
        {
            safe[7] = (byte)'.';
            safe[8] = (byte)'.';
        }
        else
        {
            safe[5] = 1;
        }

        return splits with { Stream = safe };
    }

    private static async Task CallAsync(SocksClient client, int variant)
    {
        switch (variant)
        {
            case 3:
                (await client.ConnectAsync("fuzz.example", 80)).Dispose();
                break;
            case 4:
                await using (var bind = await client.BindAsync(new IPEndPoint(Destination, 80)))
                {
                }

                break;
            case 5:
                _ = await client.ResolveNameAsync("fuzz.example");
                break;
            default:
                (await client.ConnectAsync(Destination, 80)).Dispose();
                break;
        }
    }

    /// <summary>Accepts one connection per input, writes the pieces while draining what the client sends, then FIN.</summary>
    private sealed class ScriptedProxy : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        public ScriptedProxy()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

        // One per fuzzing process, for its whole life; disposable for the analyzers' sake.
        public void Dispose() => _listener.Dispose();

        public async Task ServeOnceAsync(IEnumerable<InputPiece> pieces)
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var client = await _listener.AcceptAsync(bound.Token);
            var draining = DrainAsync(client, bound.Token);
            try
            {
                await InputPiece.SendAllAsync(client, pieces, bound.Token);
                client.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The client gave up first: fine, its answer is what the rule checks.
            }

            await draining;
        }

        private static async Task DrainAsync(Socket client, CancellationToken token)
        {
            var buffer = new byte[4096];
            try
            {
                while (await client.ReceiveAsync(buffer, SocketFlags.None, token) > 0)
                {
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }
        }
    }
}
