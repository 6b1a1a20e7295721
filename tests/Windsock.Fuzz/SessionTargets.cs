using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Windsock.Server;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;
using Windsock.Server.Logging;
using Windsock.Server.Sessions;

namespace Windsock.Fuzz;

/// <summary>
/// The whole server handshake state machine as a fuzz target: a real <see cref="SocksServer"/> on
/// 127.0.0.1 in this process, fed the input as a client's byte stream in pieces cut where the input
/// says, with the short pauses it says between them (<see cref="InputSplits"/>), then the client's FIN. Two servers: one without authentication, one
/// requiring username/password (a verifier that knows one user, so the RFC 1929 step runs without
/// PBKDF2's cost). Every rule denies, so a request goes as far as the decision and nothing ever leaves
/// the machine: no connect, no name lookup, no UDP relay, no BIND listener.
/// <para>
/// Rules: the session ends (bounded) after the client's FIN, the server logs no "failed unexpectedly",
/// and the bytes it answers are the same whether the stream came in one piece or in the input's
/// pieces: a handshake's outcome may not depend on how TCP cut it, nor on how long the pieces took.
/// </para>
/// </summary>
public static class SessionTargets
{
    private const string DenyEverything = "[[rule]]\naction = \"deny\"\n";
    private static readonly TimeSpan SessionBound = TimeSpan.FromSeconds(5);
    private static readonly Lazy<Harness> Open = new(() => new Harness(requirePassword: false));
    private static readonly Lazy<Harness> WithPassword = new(() => new Harness(requirePassword: true));

    /// <summary>The server side: any input, any split.</summary>
    public static void ServerHandshake(ReadOnlyMemory<byte> input)
    {
        var splits = InputSplits.From(input);
        var harness = (splits.Variant & 1) == 0 ? Open.Value : WithPassword.Value;
        var whole = harness.RunAsync([new InputPiece(splits.Stream, 0)]).GetAwaiter().GetResult();
        var pieces = splits.Seed == 0 ? whole : harness.RunAsync(splits.Pieces()).GetAwaiter().GetResult();
        FuzzFailure.Unless(whole.AsSpan().SequenceEqual(pieces),
            $"the server answered {Convert.ToHexString(whole)} to the stream in one piece but {Convert.ToHexString(pieces)} to it in pieces");
        harness.ThrowIfCrashed();
    }

    private sealed class Harness : IDisposable
    {
        private readonly SocksServer _server;
        private readonly CrashWatch _crashes = new();

        public Harness(bool requirePassword)
        {
            var options = ConfigLoader.Parse(DenyEverything, "fuzz-session.toml") with
            {
                Listen = [new IPEndPoint(IPAddress.Loopback, 0)],
                NegotiationTimeout = TimeSpan.FromSeconds(3),
                Limits = ClientLimits.Default with
                {
                    // Thousands of failed logins a second from 127.0.0.1 are the point here, not an attack.
                    Logins = LoginThrottleOptions.Default with { FreeFailuresPerSource = int.MaxValue, FreeFailuresPerUser = int.MaxValue },
                },
            };
            var log = new RequestLog(TextWriter.Null, options.LogFormat, TimeProvider.System);
            var context = new SessionContext(options, requirePassword ? new OneUser() : null, log, _crashes, TimeProvider.System);
            _server = new SocksServer(context);
            _server.Start();
        }

        // One per fuzzing process, for its whole life; disposable for the analyzers' sake.
        public void Dispose() => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();

        public void ThrowIfCrashed()
        {
            if (_crashes.Take() is { } crash)
            {
                throw new FuzzFailure("a session failed unexpectedly: " + crash);
            }
        }

        /// <summary>Sends the pieces, then FIN; returns everything the server wrote until it closed.</summary>
        public async Task<byte[]> RunAsync(IEnumerable<InputPiece> pieces)
        {
            using var bound = new CancellationTokenSource(SessionBound);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(_server.LocalEndPoints[0], bound.Token);
            var reading = ReadAllAsync(socket, bound.Token);
            try
            {
                await InputPiece.SendAllAsync(socket, pieces, bound.Token);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The server closed first (a refusal, a bad message): what it wrote is the answer.
            }

            try
            {
                return await reading;
            }
            catch (OperationCanceledException)
            {
                throw new FuzzFailure($"the session did not end within {SessionBound.TotalSeconds:0}s of the client's FIN");
            }
        }

        private static async Task<byte[]> ReadAllAsync(Socket socket, CancellationToken token)
        {
            using var answer = new MemoryStream();
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    int read = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
                    if (read == 0)
                    {
                        break;
                    }

                    answer.Write(buffer, 0, read);
                }
            }
            catch (SocketException)
            {
                // A reset after the server's last bytes (it closed with our data unread): the answer is complete.
            }

            return answer.ToArray();
        }
    }

    /// <summary>user "fuzz", password "fuzz"; everyone else refused.</summary>
    private sealed class OneUser : ICredentialVerifier
    {
        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CredentialVerdict(userName == "fuzz" && password == "fuzz", "fuzz", "wrong user or password"));
    }

    /// <summary>The diagnostic log, watched for the one message that means a bug: a session's unexpected exception.</summary>
    private sealed class CrashWatch : ILogger
    {
        private string? _crash;

        public string? Take() => Interlocked.Exchange(ref _crash, null);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is not null && logLevel >= LogLevel.Error)
            {
                Interlocked.CompareExchange(ref _crash, formatter(state, exception) + ": " + exception, null);
            }
        }
    }
}
