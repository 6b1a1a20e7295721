using System.Net;
using System.Net.Sockets;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Sessions;
using Windsock.Server.Sessions.Steps;

namespace Windsock.Server.Commands;

/// <summary>
/// Tor's SOCKS5 extensions RESOLVE (CMD X'F0') and RESOLVE_PTR (CMD X'F1'): the server looks a name
/// up (or an address up in reverse) with the system resolver and answers in BND.ADDR, BND.PORT 0;
/// then it closes the connection. Nothing is connected. SOCKS5 only (Tor's SOCKS4a form is not served).
/// </summary>
internal static class ResolveCommand
{
    /// <summary>The dispatch step's entry for RESOLVE: nothing follows the request, so the reader is let go at once.</summary>
    public static Task HandleAsync(ClientConnection client, SessionRequest request, CancellationToken cancellationToken)
    {
        request.Reader.Dispose();
        return RunAsync(client, request.Destination, request.Pending, cancellationToken);
    }

    /// <summary>The dispatch step's entry for RESOLVE_PTR.</summary>
    public static Task HandlePtrAsync(ClientConnection client, SessionRequest request, CancellationToken cancellationToken)
    {
        request.Reader.Dispose();
        return RunPtrAsync(client, request.Destination, cancellationToken);
    }

    /// <summary>
    /// RESOLVE: DST.ADDR is a name (an address is answered as itself). The answer is the name's first
    /// IPv4 address in the resolver's order, or its first address when it has no IPv4 one, as Tor answers.
    /// </summary>
    /// <param name="client">The client side.</param>
    /// <param name="destination">The name to resolve.</param>
    /// <param name="access">The request as the rules see it, when its decision waits for the answer's address.</param>
    /// <param name="cancellationToken">Session shutdown.</param>
    public static async Task RunAsync(ClientConnection client, SocksEndpoint destination, AccessRequest? access, CancellationToken cancellationToken)
    {
        var context = client.Context;
        var record = client.Record;
        IPAddress answer;
        if (destination.Address is { } literal)
        {
            answer = Normalize(literal);
        }
        else
        {
            IPAddress[] addresses;
            try
            {
                addresses = await LookUpAsync(context, ct => Dns.GetHostAddressesAsync(destination.Host!, ct).WaitAsync(ct), cancellationToken).ConfigureAwait(false);
            }
            catch (ResolveFailure failure)
            {
                record.EndReason = $"cannot resolve {destination.Host}: {failure.Message}";
                await client.ReplyAsync(failure.Code, null, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (addresses.Length == 0)
            {
                record.EndReason = $"cannot resolve {destination.Host}: no addresses";
                await client.ReplyAsync(Socks5ReplyCode.HostUnreachable, null, cancellationToken).ConfigureAwait(false);
                return;
            }

            answer = Normalize(addresses.FirstOrDefault(a => Normalize(a).AddressFamily == AddressFamily.InterNetwork) ?? addresses[0]);
        }

        // A name whose decision depends on its address is decided on the address it would be answered with:
        // resolving into a denied network is denied (the client learns nothing about the inside).
        if (access is not null)
        {
            var decision = context.Access.DecideAddress(access, answer);
            if (!decision.IsAllowed)
            {
                await client.DenyAsync(decision, cancellationToken).ConfigureAwait(false);
                return;
            }

            context.Access.Apply(decision, record, context);
        }

        record.EndReason = $"resolved to {answer}";
        await client.ReplyAsync(Socks5ReplyCode.Succeeded, new IPEndPoint(answer, 0), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>RESOLVE_PTR: DST.ADDR is an IPv4 or IPv6 address; the answer is its name (ATYP 3).</summary>
    public static async Task RunPtrAsync(ClientConnection client, SocksEndpoint destination, CancellationToken cancellationToken)
    {
        var context = client.Context;
        var record = client.Record;
        if (destination.Address is not { } address)
        {
            record.EndReason = $"RESOLVE_PTR needs an address, not the name {destination.Host}";
            await client.ReplyAsync(Socks5ReplyCode.AddressTypeNotSupported, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        address = Normalize(address);
        string name;
        try
        {
            // Dns.GetHostEntryAsync(IPAddress) takes no token: the deadline abandons the lookup, not the resolver.
            var entry = await LookUpAsync(context, ct => Dns.GetHostEntryAsync(address).WaitAsync(ct), cancellationToken).ConfigureAwait(false);
            name = entry.HostName;
        }
        catch (ResolveFailure failure)
        {
            record.EndReason = $"cannot resolve {address} in reverse: {failure.Message}";
            await client.ReplyAsync(failure.Code, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A name that cannot travel as ATYP 3 (empty, over 255 bytes, not printable ASCII) or is the address itself is no answer.
        if (string.IsNullOrEmpty(name) || HostName.Validate(name) != ProtocolError.None || IPAddress.TryParse(name, out _))
        {
            record.EndReason = $"cannot resolve {address} in reverse: no usable name";
            await client.ReplyAsync(Socks5ReplyCode.HostUnreachable, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        record.EndReason = $"resolved to {name}";
        await client.ReplySocks5Async(Socks5ReplyCode.Succeeded, SocksEndpoint.FromHost(name, 0), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a lookup under <c>connect_timeout</c>; failures become <see cref="ResolveFailure"/> with their reply code.
    /// Lookups pass their token to <c>WaitAsync</c> too: on Linux a started lookup ignores it (NameLookup says more).
    /// </summary>
    private static async Task<T> LookUpAsync<T>(SessionContext context, Func<CancellationToken, Task<T>> lookUp, CancellationToken cancellationToken)
    {
        var timeout = context.Options.ConnectTimeout;
        using var deadline = new CancellationTokenSource(timeout, context.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            return await lookUp(linked.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new ResolveFailure(Socks5ReplyCode.HostUnreachable, e.SocketErrorCode.ToString());
        }
        catch (ArgumentException e)
        {
            // The resolver refuses some names outright (too long a label, for instance).
            throw new ResolveFailure(Socks5ReplyCode.HostUnreachable, e.Message);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ResolveFailure(Socks5ReplyCode.TtlExpired, $"timed out after {timeout.TotalSeconds:0.#}s");
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private sealed class ResolveFailure(Socks5ReplyCode code, string message) : Exception(message)
    {
        public Socks5ReplyCode Code { get; } = code;
    }
}
