using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Windsock.Client;
using Windsock.Client.Routing;

namespace Windsock.Cli;

/// <summary>
/// <c>windsock resolve NAME|ADDRESS [--proxy URL]... [--verbose]</c>: asks the route's proxy (Tor's
/// RESOLVE / RESOLVE_PTR extensions, which Windsock and Tor serve) for a name's address or an
/// address's name, and prints it. A direct route uses the system resolver here.
/// </summary>
/// <remarks>Exit codes: 0 printed the answer; 1 routing, proxy or lookup failure; 2 bad arguments.</remarks>
internal static class ClientResolveCommand
{
    private const string Name = "resolve";

    public static Command Create()
    {
        var target = new Argument<string>("NAME|ADDRESS") { Description = "A name to resolve to an address, or an IPv4/IPv6 address to resolve in reverse (PTR) to a name." };
        var proxy = ClientRouting.ProxyOption();
        var verbose = ClientRouting.VerboseOption();
        var command = new Command(Name, "Print the address of NAME (or the name of ADDRESS) as the proxy of the route resolves it.")
        {
            target,
            proxy,
            verbose,
        };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetRequiredValue(target),
            result.GetValue(proxy),
            result.GetValue(verbose),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string target, string[]? proxies, bool verbose, CancellationToken cancellationToken)
    {
        TextWriter error = Console.Error;
        target = target.Trim();
        if (target.StartsWith('[') && target.EndsWith(']'))
        {
            target = target[1..^1];
        }

        if (target.Length == 0)
        {
            await error.WriteLineAsync($"windsock {Name}: give a name or an address").ConfigureAwait(false);
            return 2;
        }

        Router? router = ClientRouting.Build(Name, proxies, verbose, error);
        if (router is null)
        {
            return 1;
        }

        string answer;
        try
        {
            answer = IPAddress.TryParse(target, out IPAddress? address)
                ? await router.ResolveAddressAsync(address, cancellationToken).ConfigureAwait(false)
                : (await router.ResolveNameAsync(target, cancellationToken).ConfigureAwait(false)).ToString();
        }
        catch (Exception e) when (e is SocksException or RouteDeniedException or SocketException or NotSupportedException or ArgumentException)
        {
            await error.WriteLineAsync($"windsock {Name}: {target}: {ClientRouting.Describe(e)}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 1;
        }

        await Console.Out.WriteLineAsync(answer).ConfigureAwait(false);
        return 0;
    }
}
