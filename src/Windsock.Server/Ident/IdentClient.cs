using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Windsock.Protocol.Ident;

namespace Windsock.Server.Ident;

/// <summary>
/// Asks the client host's identd (RFC 1413) who owns a connection. The query goes out from the
/// address the client connected to, so that the identd sees the same pair of hosts as the
/// connection it is asked about. Bounded by a short timeout; never throws for network trouble.
/// </summary>
public sealed class IdentClient
{
    public const int DefaultPort = 113;

    private readonly TimeSpan _timeout;
    private readonly int _port;
    private readonly TimeProvider _time;

    public IdentClient(TimeSpan timeout, int port, TimeProvider time)
    {
        _timeout = timeout;
        _port = port;
        _time = time;
    }

    /// <param name="client">The SOCKS client's address and source port.</param>
    /// <param name="server">The listener address and port the client connected to.</param>
    /// <param name="cancellationToken">Ends the lookup early (session shutdown).</param>
    public async Task<IdentResult> LookupAsync(IPEndPoint client, IPEndPoint server, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var token = linked.Token;
        var clientAddress = client.Address.IsIPv4MappedToIPv6 ? client.Address.MapToIPv4() : client.Address;
        var serverAddress = server.Address.IsIPv4MappedToIPv6 ? server.Address.MapToIPv4() : server.Address;
        using var socket = new Socket(clientAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        var buffer = ArrayPool<byte>.Shared.Rent(IdentReply.MaxLineLength + 2);
        try
        {
            if (serverAddress.AddressFamily == clientAddress.AddressFamily && !serverAddress.Equals(IPAddress.Any) && !serverAddress.Equals(IPAddress.IPv6Any))
            {
                socket.Bind(new IPEndPoint(serverAddress, 0));
            }

            await socket.ConnectAsync(new IPEndPoint(clientAddress, _port), token).ConfigureAwait(false);
            int length = IdentQuery.Write(buffer, (ushort)client.Port, (ushort)server.Port);
            await socket.SendAsync(buffer.AsMemory(0, length), SocketFlags.None, token).ConfigureAwait(false);

            int filled = 0;
            while (true)
            {
                var parsed = IdentReply.TryParse(buffer.AsSpan(0, filled), out var reply);
                if (parsed.IsError)
                {
                    return new IdentResult(IdentOutcome.Malformed, null, "identd sent a malformed reply");
                }

                if (parsed.IsDone)
                {
                    if (reply.PortOnQueriedHost != client.Port || reply.PortOnQueryingHost != server.Port)
                    {
                        return new IdentResult(IdentOutcome.Malformed, null, $"identd answered for other ports ({reply.PortOnQueriedHost},{reply.PortOnQueryingHost})");
                    }

                    return reply.Kind == IdentReplyKind.UserId
                        ? new IdentResult(IdentOutcome.UserId, reply.UserId, $"identd says {reply.UserId}")
                        : new IdentResult(IdentOutcome.Error, null, $"identd error {reply.Error}");
                }

                int read = await socket.ReceiveAsync(buffer.AsMemory(filled, IdentReply.MaxLineLength + 1 - filled), SocketFlags.None, token).ConfigureAwait(false);
                if (read == 0)
                {
                    return new IdentResult(IdentOutcome.Unreachable, null, "identd closed without a reply");
                }

                filled += read;
            }
        }
        catch (SocketException e)
        {
            return new IdentResult(IdentOutcome.Unreachable, null, $"identd unreachable: {e.SocketErrorCode}");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new IdentResult(IdentOutcome.Unreachable, null, $"identd did not answer within {_timeout.TotalSeconds:0.#}s");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
