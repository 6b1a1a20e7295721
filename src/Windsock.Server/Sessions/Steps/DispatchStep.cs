using Windsock.Protocol.Socks5;
using Windsock.Server.Commands;

namespace Windsock.Server.Sessions.Steps;

/// <summary>
/// Step 7, dispatch: the one place a decided request is handed to its command handler. A new command is one
/// handler file under Commands/ and one line in <see cref="Handlers"/>; the decide step then decides it too,
/// as every command the policy knows (<see cref="Serves"/>).
/// </summary>
internal static class DispatchStep
{
    private static readonly Dictionary<Socks5Command, CommandHandler> Handlers = new()
    {
        [Socks5Command.Connect] = ConnectCommand.HandleAsync,
        [Socks5Command.Bind] = BindCommand.HandleAsync,
        [Socks5Command.UdpAssociate] = UdpAssociateCommand.HandleAsync,
        [Socks5Command.Resolve] = ResolveCommand.HandleAsync,
        [Socks5Command.ResolvePtr] = ResolveCommand.HandlePtrAsync,
        [Socks5Command.Ping] = ProbeCommand.HandleAsync,
        [Socks5Command.Traceroute] = ProbeCommand.HandleAsync,
    };

    /// <summary>Whether a command has a handler. SOCKS4 requests arrive only as Connect or Bind (Socks4RequestStep maps CD 1 and 2).</summary>
    public static bool Serves(Socks5Command command) => Handlers.ContainsKey(command);

    /// <summary>The handler's own task: no state machine of the dispatch waits for the length of the relay.</summary>
    public static Task RunAsync(ClientConnection client, SessionRequest request, CancellationToken cancellationToken) =>
        !Handlers.TryGetValue(request.Command, out var handler) ? RefuseAsync(client, request, cancellationToken)
            : request.Command == Socks5Command.Connect || !HandshakeLoop.OnLoopThread ? handler(client, request, cancellationToken)
            : OffTheLoopAsync(handler, client, request, cancellationToken);

    /// <summary>
    /// Every command but CONNECT (whose handler leaves the loop itself, after its non-blocking connect) runs on the
    /// thread pool: BIND, UDP, RESOLVE and the probes wait in ways of their own and may resolve names.
    /// </summary>
    private static async Task OffTheLoopAsync(CommandHandler handler, ClientConnection client, SessionRequest request, CancellationToken cancellationToken)
    {
        await HandshakeLoop.LeaveAsync();
        await handler(client, request, cancellationToken).ConfigureAwait(false);
    }

    private static async Task RefuseAsync(ClientConnection client, SessionRequest request, CancellationToken cancellationToken)
    {
        request.Reader.Dispose();
        client.Record.EndReason = $"command {client.Record.CommandName} not supported";
        await client.ReplyAsync(Socks5ReplyCode.CommandNotSupported, null, cancellationToken).ConfigureAwait(false);
    }
}
