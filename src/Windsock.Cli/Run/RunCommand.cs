using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Windsock.Client.Routing;

namespace Windsock.Cli.Run;

/// <summary>
/// <c>windsock run [--proxy URL]... [--client-config FILE] [--engine auto|preload|syscall] [-v|--explain] -- PROGRAM ARGS...</c>:
/// runs an unmodified program with its network calls routed by the client routing file, as
/// <c>windsock connect</c> routes. This process answers the preload's questions (routes, mapped
/// names, proxy hops) over a private unix socket while the program runs; the program's sockets are
/// themselves the proxy connections, so no byte passes through here.
/// </summary>
/// <remarks>Exit codes: the program's own (128+N when a signal N ended it); 2 bad arguments or no routes;
/// 126 a program no engine can cover (refused, not run); 127 the program was not found.</remarks>
internal static partial class RunCommand
{
    private const string Name = "run";
    private const int Usage = 2;
    private const int CannotCover = 126;
    private const int NotFound = 127;
    private const string PreloadFile = "libwindsock-preload.so";
    private const string LauncherFile = "windsock-launch";

    public static Command Create()
    {
        var program = new Argument<string[]>("PROGRAM") { Description = "The program and its arguments, after --.", Arity = ArgumentArity.OneOrMore };
        var proxy = ClientRouting.ProxyOption();
        var clientConfig = new Option<string?>("--client-config") { Description = "The routing file (default: where windsock connect looks, or ALL_PROXY)." };
        var engine = new Option<string>("--engine")
        {
            Description = "How to intercept: preload (LD_PRELOAD library: dynamically linked programs), syscall (seccomp user notification: static and Go programs too), or auto (preload when it can, else syscall).",
            DefaultValueFactory = _ => "auto",
        };
        engine.AcceptOnlyFromAmong("auto", "preload", "syscall");
        var mappedRange = new Option<string[]>("--mapped-range")
        {
            Description = $"Addresses names are answered with, IPv4 and/or IPv6 CIDR (default {MappedAddresses.DefaultIPv4} and {MappedAddresses.DefaultIPv6}).",
            Arity = ArgumentArity.OneOrMore,
        };
        var verbose = new Option<bool>("--explain", "--verbose", "-v")
        {
            Description = "Print the engine chosen and, per connection and lookup, the route taken, on standard error.",
        };
        var command = new Command(Name, "Run PROGRAM with its connections routed through the proxies of the routing file (as windsock connect routes).")
        {
            proxy,
            clientConfig,
            engine,
            mappedRange,
            verbose,
            program,
        };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetRequiredValue(program),
            result.GetValue(proxy),
            result.GetValue(clientConfig),
            result.GetValue(engine) ?? "auto",
            result.GetValue(mappedRange) ?? [],
            result.GetValue(verbose),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string[] commandLine, string[]? proxies, string? clientConfig, string engine, string[] ranges, bool explain, CancellationToken cancellationToken)
    {
        TextWriter error = Console.Error;
        if (!OperatingSystem.IsLinux())
        {
            await error.WriteLineAsync($"windsock {Name}: needs Linux (LD_PRELOAD, and seccomp for the syscall engine)").ConfigureAwait(false);
            return CannotCover;
        }

        if (!TryMappedRanges(ranges, out MappedAddresses? mapped, out string? rangeProblem))
        {
            await error.WriteLineAsync($"windsock {Name}: --mapped-range {rangeProblem}").ConfigureAwait(false);
            return Usage;
        }

        Router? router = BuildRouter(proxies, clientConfig, explain, error);
        if (router is null)
        {
            return Usage;
        }

        string? path = ProgramInspection.Locate(commandLine[0]);
        if (path is null)
        {
            await error.WriteLineAsync($"windsock {Name}: {commandLine[0]}: program not found").ConfigureAwait(false);
            return NotFound;
        }

        ProgramInspection inspection = ProgramInspection.Inspect(path);
        if (ChooseEngine(inspection, engine, out string? refusal) is not { } chosen)
        {
            await error.WriteLineAsync($"windsock {Name}: {refusal}; refused rather than run unproxied").ConfigureAwait(false);
            return CannotCover;
        }

        string helper = Path.Combine(AppContext.BaseDirectory, chosen == Engine.Preload ? PreloadFile : LauncherFile);
        if (!File.Exists(helper) || helper.Contains(' ', StringComparison.Ordinal) || helper.Contains(':', StringComparison.Ordinal))
        {
            await error.WriteLineAsync($"windsock {Name}: {helper} is missing (or its path has a space or colon, which LD_PRELOAD cannot carry); rebuild windsock with gcc and make installed").ConfigureAwait(false);
            return CannotCover;
        }

        if (explain)
        {
            await error.WriteLineAsync($"windsock {Name}: engine {(chosen == Engine.Preload ? "preload" : "syscall")} ({inspection.Description}; {helper})").ConfigureAwait(false);
            await error.WriteLineAsync($"windsock {Name}: names answered from {mapped.IPv4} and {mapped.IPv6}").ConfigureAwait(false);
        }

        var routes = new RunRoutes(router, mapped, error, explain);
        await using ControlServer control = ControlServer.Start(routes);
        await using DnsResponder? dns = chosen == Engine.Syscall
            ? DnsResponder.Start(mapped, explain ? line => error.WriteLine($"windsock {Name}: {line}") : null)
            : null;
        var start = new ProcessStartInfo(chosen == Engine.Preload ? path : helper) { UseShellExecute = false };
        if (chosen == Engine.Syscall)
        {
            start.ArgumentList.Add(path);
        }

        foreach (string argument in commandLine.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        if (chosen == Engine.Preload)
        {
            string? inherited = Environment.GetEnvironmentVariable("LD_PRELOAD");
            start.Environment["LD_PRELOAD"] = string.IsNullOrWhiteSpace(inherited) ? helper : $"{helper} {inherited}";
        }
        else
        {
            // Under the syscall engine a preload would route a second time (its proxy connection, through the proxy).
            start.Environment.Remove("LD_PRELOAD");
            start.Environment["WINDSOCK_RUN_DNS"] = string.Create(CultureInfo.InvariantCulture, $"{dns!.EndPoint.Address} {dns.EndPoint.Port}");
        }

        start.Environment["WINDSOCK_RUN_SOCKET"] = control.SocketPath;
        start.Environment["WINDSOCK_RUN_MAPPED4"] = mapped.IPv4.ToString();
        start.Environment["WINDSOCK_RUN_MAPPED6"] = mapped.IPv6.ToString();
        if (router.Source is "ALL_PROXY" or "all_proxy")
        {
            // The routes came from it: a program that also honoured it would proxy through the proxy.
            start.Environment.Remove("ALL_PROXY");
            start.Environment.Remove("all_proxy");
        }

        Process child;
        try
        {
            child = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            await error.WriteLineAsync($"windsock {Name}: cannot start {path}: {e.Message}").ConfigureAwait(false);
            return CannotCover;
        }

        using (child)
        {
            // Ctrl-C reaches the program from the terminal itself; SIGTERM and SIGHUP sent to windsock are passed on.
            // Either way windsock stays until the program ends, to keep answering it and to return its status.
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true);
            using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, context => context.Cancel = true);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Forward(context, child));
            using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => Forward(context, child));
            await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            if (explain)
            {
                await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"windsock {Name}: {Path.GetFileName(path)} exited with {child.ExitCode}")).ConfigureAwait(false);
            }

            return child.ExitCode;
        }
    }

    private static Router? BuildRouter(string[]? proxies, string? clientConfig, bool explain, TextWriter error)
    {
        if (clientConfig is not null && proxies is { Length: > 0 })
        {
            error.WriteLine($"windsock {Name}: give --proxy or --client-config, not both");
            return null;
        }

        Router? router;
        if (clientConfig is not null)
        {
            try
            {
                router = Router.Load(clientConfig);
            }
            catch (RoutingFileException e)
            {
                error.WriteLine($"windsock {Name}: {e.Message}");
                return null;
            }

            if (explain)
            {
                error.WriteLine($"windsock {Name}: routes from {router.Source}");
            }
        }
        else
        {
            router = ClientRouting.Build(Name, proxies, explain, error);
        }

        if (router is { Rules.Count: 0 } && router.GetRoute("example.org", 80).Action == RouteAction.Direct)
        {
            error.WriteLine($"windsock {Name}: no routes: no --proxy, no routing file ({Router.RoutingFileVariable}, ~/.config/windsock/client.toml, /etc/windsock/client.toml) and no ALL_PROXY, so every connection would go direct; give --proxy socks5h://HOST:PORT");
            return null;
        }

        return router;
    }

    private enum Engine
    {
        Preload,
        Syscall,
    }

    /// <summary>auto: the preload for dynamically linked programs, the syscall engine for static and Go ones.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static Engine? ChooseEngine(ProgramInspection inspection, string engine, out string? refusal)
    {
        refusal = inspection.Kind switch
        {
            ProgramKind.SetId => inspection.Description,
            ProgramKind.ForeignArchitecture => $"{inspection.Description}; the syscall engine's filter is for this architecture's system calls only",
            ProgramKind.Static or ProgramKind.Go when engine == "preload" => $"{inspection.Description}; use --engine syscall (or auto)",
            _ => null,
        };
        if (refusal is not null)
        {
            return null;
        }

        return engine switch
        {
            "preload" => Engine.Preload,
            "syscall" => Engine.Syscall,
            _ => inspection.Kind is ProgramKind.Static or ProgramKind.Go ? Engine.Syscall : Engine.Preload,
        };
    }

    private static bool TryMappedRanges(string[] ranges, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MappedAddresses? mapped, out string? problem)
    {
        IPNetwork ipv4 = MappedAddresses.DefaultIPv4;
        IPNetwork ipv6 = MappedAddresses.DefaultIPv6;
        mapped = null;
        problem = null;
        foreach (string range in ranges)
        {
            if (!IPNetwork.TryParse(range, out IPNetwork network))
            {
                problem = $"\"{range}\" is not a network; write e.g. 198.18.0.0/15 or fd57:696e:6473::/64";
                return false;
            }

            if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
            {
                ipv4 = network;
            }
            else
            {
                ipv6 = network;
            }
        }

        try
        {
            mapped = new MappedAddresses(ipv4, ipv6);
            return true;
        }
        catch (ArgumentException e)
        {
            problem = e.Message.Split(" (Parameter", 2)[0];
            return false;
        }
    }

    private static void Forward(PosixSignalContext context, Process child)
    {
        context.Cancel = true;
        int signal = context.Signal == PosixSignal.SIGTERM ? 15 : 1;
        try
        {
            _ = Kill(child.Id, signal);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
