using System.Net;
using System.Net.Sockets;
using Windsock.Server.Limits;
using Windsock.Server.Logging;
using Windsock.Server.Sessions;

namespace Windsock.Server;

/// <summary>
/// The listeners and the sessions they accept. SOCKS4, 4a and 5 share every listener; the first byte
/// of each connection tells them apart. Stopping closes the listeners first, lets sessions drain for
/// the grace time, then cuts the rest.
/// </summary>
public sealed class SocksServer : IAsyncDisposable
{
    private const int ListenBacklog = 1024;

    private SessionContext _context;
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly TaskCompletionSource _allEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly Action<Session> _sessionEnded;
    private long _nextSessionId;
    private int _running;
    private int _draining;
    private int _stopped;

    public SocksServer(SessionContext context)
    {
        _sessionEnded = SessionEnded;
        _context = context;
    }

    /// <summary>What new sessions use: options, users, rules. Sessions already running keep the one they started with.</summary>
    public SessionContext Context => Volatile.Read(ref _context);

    /// <summary>
    /// Replaces the configuration for sessions accepted from now on (a reload). Listeners stay as they
    /// are: changing them needs a restart. Returns the previous context, still in use by its sessions;
    /// only their UDP datagrams' destinations are decided by the new rules from the next datagram on.
    /// </summary>
    public SessionContext Swap(SessionContext next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var previous = Interlocked.Exchange(ref _context, next);
        previous.Access.SupersedeWith(next.Access);
        return previous;
    }

    /// <summary>The addresses actually bound (with the real port where port 0 was asked for).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints { get; private set; } = [];

    public int ActiveSessions => Volatile.Read(ref _running);

    /// <summary>The listening sockets, in the order of <see cref="LocalEndPoints"/>: what tests inspect.</summary>
    internal IReadOnlyList<Socket> Listeners => _listeners;

    /// <summary>Binds every listener, or none: a failure closes those already bound and throws with the address that failed.</summary>
    public void Start()
    {
        var bound = new List<IPEndPoint>();
        try
        {
            foreach (var endPoint in _context.Options.Listen)
            {
                var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                _listeners.Add(socket);
                if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    // [::] means IPv6 only, so that 0.0.0.0 and [::] can be listed side by side on one port.
                    socket.DualMode = false;
                }

                try
                {
                    socket.Bind(endPoint);
                    socket.Listen(ListenBacklog);
                }
                catch (SocketException e)
                {
                    throw new ListenException(endPoint, e);
                }

                bound.Add((IPEndPoint)socket.LocalEndPoint!);
                if (!DeferredAccept.TryEnable(socket))
                {
                    ServerLog.AcceptNotDeferred(_context.Logger, bound[^1]);
                }
            }
        }
        catch
        {
            foreach (var socket in _listeners)
            {
                socket.Dispose();
            }

            _listeners.Clear();
            throw;
        }

        LocalEndPoints = bound;
        for (int i = 0; i < _listeners.Count; i++)
        {
            ServerLog.Listening(_context.Logger, bound[i]);
            var listener = _listeners[i];
            var endPoint = bound[i];
            _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(listener, endPoint)));
        }
    }

    private async Task AcceptLoopAsync(Socket listener, IPEndPoint endPoint)
    {
        var token = _stopAccepting.Token;
        var backoff = new AcceptBackoff(endPoint, _context.Time);
        DescriptorHeadroom.HoldSpare();

        // On the handshake loop the listener's readiness wakes a loop thread, which accepts and starts the session.
        LoopWait? loopWait;
        try
        {
            loopWait = LoopAccept.WaitFor(listener);
        }
        catch (ObjectDisposedException)
        {
            // Stopped before this loop got to run: the listener is closed already, nothing to accept.
            return;
        }

        using var onLoop = loopWait;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await LoopAccept.AcceptAsync(listener, onLoop, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The client left while queued: nothing to serve, nothing wrong with the listener.
                continue;
            }
            catch (SocketException e)
            {
                if (e.SocketErrorCode is not (SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable))
                {
                    // Unexpected (the kernel out of memory, a listener gone bad): said each time, but a second apart.
                    ServerLog.AcceptFailed(_context.Logger, endPoint, e.SocketErrorCode.ToString());
                    try
                    {
                        await Task.Delay(AcceptBackoff.LongestWait, _context.Time, token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    continue;
                }

                // EMFILE/ENFILE: the spare descriptor takes the queue's first connection off and closes it.
                if (!await PauseAsync(backoff, DescriptorHeadroom.ShedOne(listener), token).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            var level = backoff.IsPaused ? DescriptorHeadroom.LevelOfProcess() : DescriptorHeadroom.LevelOf(client);
            if (level == DescriptorLevel.Exhausted)
            {
                // Inside the headroom the runtime needs to keep running: this one is closed, and accepting
                // waits for descriptors to free up (the next accept's number says when they have).
                client.Dispose();
                if (!await PauseAsync(backoff, closedOne: true, token).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            if (level == DescriptorLevel.Scarce)
            {
                // Close to the limit (or recovering from it): served, but one connection per short wait, so
                // that sessions ending can free descriptors faster than a queue of new ones takes them.
                StartSession(client, endPoint);
                try
                {
                    await backoff.SlowDownAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            backoff.Accepted(_context.Logger);
            StartSession(client, endPoint);
        }
    }

    /// <summary>Waits out one step of the backoff; false when the server is stopping meanwhile.</summary>
    private async Task<bool> PauseAsync(AcceptBackoff backoff, bool closedOne, CancellationToken token)
    {
        try
        {
            await backoff.PauseAsync(_context.Logger, DescriptorHeadroom.Limit(), closedOne, token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void StartSession(Socket client, IPEndPoint listener)
    {
        long id = Interlocked.Increment(ref _nextSessionId);
        IPEndPoint remote;
        try
        {
            client.NoDelay = true;
            remote = (IPEndPoint)client.RemoteEndPoint!;
        }
        catch (SocketException)
        {
            client.Dispose();
            return;
        }

        var context = Volatile.Read(ref _context);
        var record = new SessionRecord(id, remote, listener, context.Time.GetUtcNow(), context.Time);
        var session = new Session(client, record, context, _sessionEnded) { Live = context.Metrics.SessionStarted(record) };
        Interlocked.Increment(ref _running);
        _ = RunSessionAsync(session);
    }

    // One state machine per session and a count, instead of Task.Run's closure and unwrap promise, a
    // ContinueWith (delegate, task, boxed id) and a dictionary node: all of those lived as long as the
    // session, idle or not. Session.RunAsync catches everything, so the task is not observed. The session's
    // own token (its entry in the live list) ends it on an administrator's request or at the end of the grace.
    private static async Task RunSessionAsync(Session session)
    {
        var token = session.Live!.Token;

        // Off the accept loop before the first byte is read: the loop goes back to accepting at once. With the
        // handshake loop the session instead tries its socket without blocking and, when the greeting is not there
        // yet, waits on the loop, which is where the accept loop gets back its thread; a greeting already there is
        // read and answered at once, with no hand-off at all. Either way the session ends itself (SessionEnded).
        if (!HandshakeLoop.IsAvailable)
        {
            await Task.Yield();
            await session.RunAsync(token).ConfigureAwait(false);
        }
        else
        {
            // Until its first wait the session runs as if on the loop, so a slow step leaves this thread too.
            await HandshakeLoop.RunInline(session.RunAsync, token).ConfigureAwait(false);
        }
    }

    /// <summary>A session ended (its relay or its steps ended it): out of the live list, and the drain told when it was the last.</summary>
    private void SessionEnded(Session session)
    {
        session.Context.Metrics.SessionEnded(session.Live!);
        if (Interlocked.Decrement(ref _running) == 0 && Volatile.Read(ref _draining) == 1)
        {
            _allEnded.TrySetResult();
        }
    }

    /// <summary>Stops accepting, waits up to <paramref name="grace"/> for sessions to finish, then closes the rest.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        // Synchronously, so that no connection is accepted once StopAsync has been called.
        _stopAccepting.Cancel();
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);

        // No session starts any more. From here the last one to end completes _allEnded.
        Interlocked.Exchange(ref _draining, 1);
        int running = Volatile.Read(ref _running);
        if (running > 0)
        {
            ServerLog.Draining(_context.Logger, grace, running);
            try
            {
                await _allEnded.Task.WaitAsync(grace, _context.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                ServerLog.DrainTimeout(_context.Logger, Volatile.Read(ref _running));
                Context.Metrics.Live.CutAll();
                await _allEnded.Task.WaitAsync(TimeSpan.FromSeconds(5), _context.Time).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        _stopAccepting.Dispose();
    }
}
