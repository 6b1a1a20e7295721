using System.Runtime.CompilerServices;
using Windsock.Policy;
using Windsock.Protocol;

namespace Windsock.Server.Sessions.Steps;

/// <summary>Step 2, sniff: the first byte says which dialect the client speaks (SOCKS4 or SOCKS5); anything else is closed.</summary>
internal static class SniffStep
{
    /// <summary>The dialect, set on the connection and the record; null (with the reason recorded) when it is not SOCKS.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<SocksVersion?> RunAsync(ClientConnection client, HandshakeReader reader, CancellationToken token)
    {
        var first = await reader.PeekFirstByteAsync(token).ConfigureAwait(false);
        switch (SocksVersionDetector.Detect(first))
        {
            case SocksVersion.Socks5:
                client.Version = SocksVersion.Socks5;
                client.Record.Version = PolicyVersion.Socks5;
                return SocksVersion.Socks5;
            case SocksVersion.Socks4:
                client.Version = SocksVersion.Socks4;
                client.Record.Version = PolicyVersion.Socks4;
                return SocksVersion.Socks4;
            default:
                client.Record.EndReason = ProxyHeaderStep.NotSocks(reader, client.Record, client.Context, first);
                return null;
        }
    }
}
