using System.CommandLine;
using Windsock.Cli;

var root = new RootCommand("Windsock: a SOCKS4, SOCKS4a and SOCKS5 server and client tools.")
{
    ServeCommand.Create(),
    PasswdCommand.Create(),
    CheckCommand.Create(),
    StatusCommand.Create(),
    ClientConnectCommand.Create(),
    ClientForwardCommand.Create(),
    ClientResolveCommand.Create(),
    ClientPingCommand.Create(),
    ClientTracerouteCommand.Create(),
    Windsock.Cli.Run.RunCommand.Create(),
    BenchCommand.Create(),
};

var parse = root.Parse(args);
if (CheckCommand.UnknownArgument(parse) is { } usage)
{
    return usage;
}

var invocation = new InvocationConfiguration
{
    // SIGTERM/Ctrl-C cancel the command's token; the process waits this long for it to drain and exit.
    ProcessTerminationTimeout = ServeCommand.MaxShutdownTime,
};
return await parse.InvokeAsync(invocation).ConfigureAwait(false);
