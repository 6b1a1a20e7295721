using System.Net;
using System.Net.Sockets;
using Windsock.Server.Relay;
using Windsock.Server.Sessions;

namespace Windsock.Server.Tests.Relay;

/// <summary>
/// client outer ⇄ client inner ═ relay ═ destination inner ⇄ destination outer: two real loopback
/// connections, the relay running between their inner ends.
/// </summary>
internal sealed class RelayRig : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly CancellationTokenSource _shutdown = new();
    private Socket[] _sockets = [];
    private TcpRelay? _relay;

    public Socket ClientOuter { get; private set; } = null!;

    public Socket ClientInner { get; private set; } = null!;

    public Socket DestinationInner { get; private set; } = null!;

    public Socket DestinationOuter { get; private set; } = null!;

    public SessionRecord Record { get; } = new(1, new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), DateTimeOffset.UnixEpoch);

    public Task<RelayEnd> Relay { get; private set; } = null!;

    /// <summary>The relay's refusal reason, once it ended with <see cref="RelayEnd.ProtectionFailed"/>.</summary>
    public string? Refusal => _relay?.Refusal;

    public static Task<RelayRig> StartAsync(RelayMode mode, TimeProvider? time = null, TimeSpan? idleTimeout = null, Action<RelayRig>? configure = null) =>
        StartAsync(RelayStrategy.Plain(mode, 64 * 1024), time, idleTimeout, configure);

    public static async Task<RelayRig> StartAsync(RelayStrategy strategy, TimeProvider? time = null, TimeSpan? idleTimeout = null, Action<RelayRig>? configure = null)
    {
        var rig = new RelayRig();
        (rig.ClientOuter, rig.ClientInner) = await ConnectedPairAsync();
        (rig.DestinationInner, rig.DestinationOuter) = await ConnectedPairAsync();
        rig._sockets = [rig.ClientOuter, rig.ClientInner, rig.DestinationInner, rig.DestinationOuter];
        configure?.Invoke(rig);
        var relay = new TcpRelay(rig.ClientInner, rig.DestinationInner, rig.Record, strategy, idleTimeout ?? TimeSpan.FromMinutes(5), time ?? TimeProvider.System);
        rig._relay = relay;
        rig.Relay = relay.RunAsync(rig._shutdown.Token);
        return rig;
    }

    private static async Task<(Socket Connecting, Socket Accepted)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var connecting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(Bound);
        var accepting = listener.AcceptAsync(cts.Token);
        await connecting.ConnectAsync(listener.LocalEndPoint!, cts.Token);
        var accepted = await accepting;
        accepted.NoDelay = true;
        return (connecting, accepted);
    }

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync();
        if (Relay is not null)
        {
            // A test may have made the relay fail on purpose; it asserted that itself.
            await ((Task)Relay).WaitAsync(Bound).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _shutdown.Dispose();
    }
}
