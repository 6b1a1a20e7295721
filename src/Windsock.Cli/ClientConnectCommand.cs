using System.CommandLine;
using System.Net.Sockets;
using Windsock.Client;
using Windsock.Client.Routing;

namespace Windsock.Cli;

/// <summary>
/// <c>windsock connect HOST PORT [--proxy URL]... [--verbose]</c>: standard input and output
/// through the route to HOST:PORT, as ssh's ProxyCommand wants. Standard input's EOF half-closes
/// the connection; the destination's EOF ends the command with 0.
/// </summary>
/// <remarks>Exit codes: 0 the destination closed the connection; 1 routing, proxy or connection failure; 2 bad arguments.</remarks>
internal static class ClientConnectCommand
{
    private const string Name = "connect";

    public static Command Create()
    {
        var host = new Argument<string>("HOST") { Description = "Destination name or address (names go to the proxy unless the proxy URL says socks5:// or socks4://)." };
        var port = new Argument<int>("PORT") { Description = "Destination port." };
        var proxy = ClientRouting.ProxyOption();
        var passwordFile = ClientRouting.PasswordFileOption();
        var verbose = ClientRouting.VerboseOption();
        var gssapi = new ClientRouting.GssapiOptions();
        var command = new Command(Name, "Connect standard input and output to HOST:PORT through the route (works as ssh's ProxyCommand).")
        {
            host,
            port,
            proxy,
            passwordFile,
            verbose,
        };
        gssapi.AddTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetRequiredValue(host),
            result.GetRequiredValue(port),
            result.GetValue(proxy),
            result.GetValue(passwordFile),
            gssapi.Read(result),
            result.GetValue(verbose),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string host, int port, string[]? proxies, FileInfo? passwordFile, SocksGssapiOptions? gssapi, bool verbose, CancellationToken cancellationToken)
    {
        TextWriter error = Console.Error;
        if (port is < 1 or > 65535 || string.IsNullOrWhiteSpace(host))
        {
            await error.WriteLineAsync($"windsock {Name}: the destination must be HOST PORT with a port from 1 to 65535").ConfigureAwait(false);
            return 2;
        }

        Router? router = ClientRouting.Build(Name, proxies, verbose, error, gssapi, passwordFile);
        if (router is null)
        {
            return 1;
        }

        Stream connection;
        try
        {
            connection = await router.ConnectStreamAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocksException or RouteDeniedException or SocketException or NotSupportedException)
        {
            await error.WriteLineAsync($"windsock {Name}: {ClientRouting.Describe(e)}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 1;
        }

        await using (connection)
        {
            await using Stream stdin = Console.OpenStandardInput();
            await using Stream stdout = Console.OpenStandardOutput();

            // Standard input is read on its own task: when the destination closes first, the
            // command ends without waiting for input that may never come.
            Task up = Task.Run(() => ClientPipe.CopyAsync(stdin, connection, cancellationToken), cancellationToken);
            try
            {
                await ClientPipe.CopyAsync(connection, stdout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                await error.WriteLineAsync($"windsock {Name}: connection to {host}:{port} broke: {e.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (OperationCanceledException)
            {
                return 1;
            }

            if (up.IsFaulted && up.Exception.InnerException is (SocketException or IOException) and var sendFailure)
            {
                await error.WriteLineAsync($"windsock {Name}: sending to {host}:{port} failed: {sendFailure.Message}").ConfigureAwait(false);
                return 1;
            }

            if (verbose)
            {
                await error.WriteLineAsync($"windsock {Name}: {host}:{port} closed the connection").ConfigureAwait(false);
            }

            return 0;
        }
    }
}
