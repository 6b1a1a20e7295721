using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Windsock.Policy;
using Windsock.Server.Access;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;

namespace Windsock.Cli;

/// <summary>
/// <c>windsock check --config F</c>: validate a configuration as <c>serve</c> would, without
/// listening. With a request (<c>--from</c>, <c>--to</c>, ...): decide it with the configured
/// rules and explain the decision rule by rule (<see cref="PolicyEngine.Explain"/>).
/// </summary>
/// <remarks>
/// Exit codes: 0 the configuration is valid / the request is allowed; 1 the configuration is
/// invalid / the request is denied, or its verdict depends on an address not given; 2 usage
/// errors (a request option that does not parse). A destination name whose decision needs its
/// address is resolved only with <c>--resolve</c> (system resolver) or taken from <c>--address</c>.
/// </remarks>
internal static class CheckCommand
{
    private const int Allowed = 0;
    private const int Denied = 1;
    private const int Usage = 2;

    public static Command Create()
    {
        var config = new Option<string?>("--config", "-c") { Description = "Configuration file (TOML) to check (required)." };
        var user = new Option<string?>("--user", "-u") { Description = "The authenticated user of the request; their groups come from the groups file." };
        var from = new Option<string?>("--from") { Description = "The client, ADDRESS or ADDRESS:PORT (IPv6 with a port in brackets: [2001:db8::1]:40000)." };
        var to = new Option<string?>("--to") { Description = "The destination as the client asks for it, HOST:PORT (a name or an address; PORT may be a service name such as https). Numeric names such as 127.1, 2130706433 or 0 are names, decided with the address the server's resolver reads from them." };
        var command = new Option<string?>("--command") { Description = "connect (the default), bind, udp (a datagram to --to), resolve, resolve-ptr, ping or traceroute." };
        var version = new Option<string?>("--socks-version") { Description = "SOCKS version of the request: 5 (the default), 4 or 4a." };
        // "--version" is the program's own option; the old spelling of --socks-version still works here, with a
        // warning, but --help no longer shows it beside the program's.
        var deprecatedVersion = new Option<string?>(DeprecatedVersionSpelling) { Description = "Deprecated spelling of --socks-version.", Hidden = true };
        var method = new Option<string?>("--method") { Description = "Authentication method: username (the default with --user), none (the default without), gssapi." };
        var resolve = new Option<bool>("--resolve") { Description = "When the decision needs the address a destination name resolves to, resolve it with the system resolver." };
        var client = new Option<bool>("--client") { Description = "Check the client routing file instead: which rule routes --to HOST:PORT, and why." };
        var clientConfig = new Option<string?>("--client-config") { Description = "With --client: the routing file (default: where windsock connect looks, or ALL_PROXY)." };
        var address = new Option<string[]>("--address")
        {
            Description = "An address the destination name resolves to, instead of resolving it (repeat for several, in the order the server would try them).",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        Option<string?>[] valued = [config, user, from, to, command, version, deprecatedVersion, method, clientConfig];
        foreach (Option<string?> option in valued)
        {
            // Checked in the action instead, so a missing value is a usage error (exit 2) like the others.
            option.Arity = ArgumentArity.ZeroOrOne;
        }

        var check = new Command("check", "Validate a configuration; with --from and --to, show how the server decides a request (server.allowed_clients, the SOCKS version, the access rules) and why, and how it goes out (an upstream route and its chains, or a source address). With --client --to, show how the client routing file routes a destination.")
        {
            config,
            user,
            from,
            to,
            command,
            version,
            deprecatedVersion,
            method,
            resolve,
            address,
            client,
            clientConfig,
        };

        // Unknown arguments are usage errors (exit 2) through UnknownArgument, which Program calls before invoking.
        check.SetAction(async (result, cancellationToken) =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            TextWriter error = result.InvocationConfiguration.Error;
            if (result.GetResult(deprecatedVersion) is not null)
            {
                await error.WriteLineAsync("windsock check: warning: --version is deprecated here (it is the program's own option); write --socks-version").ConfigureAwait(false);
            }

            string? usage = valued.FirstOrDefault(o => result.GetResult(o) is not null && result.GetValue(o) is null) is { } empty ? $"{empty.Name} needs a value"
                : result.GetResult(address) is { Tokens.Count: 0 } ? "--address needs a value"
                : result.GetResult(version) is not null && result.GetResult(deprecatedVersion) is not null ? "give the SOCKS version once, as --socks-version"
                : result.GetValue(client) ? ((Option[])[config, user, from, command, version, deprecatedVersion, method, resolve, address]).FirstOrDefault(o => result.GetResult(o) is { Implicit: false }) is { } serverOnly
                    ? $"{serverOnly.Name} is for the server's configuration; --client takes only --client-config and --to"
                    : null
                : result.GetResult(clientConfig) is not null ? "--client-config needs --client"
                : result.GetValue(config) is null ? "--config FILE is required (or --client, for the client routing file)"
                : null;
            if (usage is not null)
            {
                await error.WriteLineAsync($"windsock check: error: {usage}").ConfigureAwait(false);
                return Usage;
            }

            if (result.GetValue(client))
            {
                return await ClientCheck.RunAsync(result.GetValue(clientConfig), result.GetValue(to), output, error).ConfigureAwait(false);
            }

            var request = new CheckRequest(
                result.GetValue(user),
                result.GetValue(from),
                result.GetValue(to),
                result.GetValue(command),
                result.GetValue(version) ?? result.GetValue(deprecatedVersion),
                result.GetValue(method),
                result.GetValue(resolve),
                result.GetValue(address) ?? []);
            return await RunAsync(result.GetValue(config)!, request, output, error, cancellationToken).ConfigureAwait(false);
        });
        return check;
    }

    private const string DeprecatedVersionSpelling = "--version";

    /// <summary>
    /// Unknown arguments to check are usage errors with exit code 2, like its other usage errors (the parser's
    /// own handling would exit 1 and print the whole help). Program calls this before invoking.
    /// </summary>
    public static int? UnknownArgument(System.CommandLine.ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.CommandResult.Command.Name != "check" || parse.UnmatchedTokens.Count == 0)
        {
            return null;
        }

        Console.Error.WriteLine($"windsock check: error: unknown argument \"{parse.UnmatchedTokens[0]}\"; see windsock check --help");
        return Usage;
    }

    private static async Task<int> RunAsync(string configPath, CheckRequest options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        // Usage first: a typo in the request is reported before the configuration is read.
        AccessRequest? request = null;
        if (options.Any && !CheckRequestParser.TryParse(options, out request, out string? usage))
        {
            await error.WriteLineAsync($"windsock check: error: {usage}").ConfigureAwait(false);
            return Usage;
        }

        ServerOptions server;
        bool passwordsRequired;
        UserStore? users;
        try
        {
            server = ServeOptionsBuilder.Build(configPath, null, null, null);
            passwordsRequired = ServeOptionsBuilder.LoadCredentials(server, TimeProvider.System) is not null;
            // Loaded once more for its names (LoadCredentials wraps the store); the file was just read without error.
            users = server.UsersFile is { } usersFile ? UserFile.Load(usersFile) : null;
        }
        catch (StartupException e)
        {
            // Already "file:line:col: error: ... fix: ...".
            await error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return Denied;
        }

        if (UsersFileMode.Warning(server.UsersFile) is { } exposed)
        {
            // The server starts anyway, and says the same at every start and reload.
            await error.WriteLineAsync($"warning: {exposed}").ConfigureAwait(false);
        }

        foreach (string warning in server.Routes.SelectMany(r => r.Warnings))
        {
            await error.WriteLineAsync($"warning: {warning}").ConfigureAwait(false);
        }

        if (server.RunAs is { } account)
        {
            // The server reads these again after switching to [server] user, and stops if it cannot.
            foreach (string file in new[] { configPath, server.UsersFile, server.GroupsFile }.OfType<string>())
            {
                if (Windsock.Server.Accounts.AccountFileAccess.WhyUnreadable(file, account) is { } why)
                {
                    await error.WriteLineAsync($"error: {why}; the server switches to [server] user = \"{account.UserName}\" after binding and would stop. fix: chgrp {account.GroupName} {file} && chmod g+r {file}").ConfigureAwait(false);
                    return Denied;
                }
            }
        }

        GroupMembership groups = GroupMembership.Empty;
        if (server.GroupsFile is { } groupsFile)
        {
            try
            {
                groups = GroupFile.Load(groupsFile);
            }
            catch (ConfigException e)
            {
                string origin = server.Origins.TryGetValue("auth.groups_file", out string? where) ? $" (groups file set by {where})" : string.Empty;
                await error.WriteLineAsync(e + origin).ConfigureAwait(false);
                return Denied;
            }
        }

        RuleSet? rules = server.Rules;
        if (request is null)
        {
            int count = rules?.Rules.Count ?? 0;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"configuration OK: {count} rule{(count == 1 ? "" : "s")}")).ConfigureAwait(false);
            if (server.Admin is not null)
            {
                await output.WriteLineAsync(AdminListener.Explain(server.Admin)).ConfigureAwait(false);
            }

            if (server.Outside is { } outside && (outside.IPv4 is not null || outside.IPv6 is not null))
            {
                string addresses = string.Join(", ", new[] { outside.IPv4, outside.IPv6 }.OfType<System.Net.IPAddress>());
                await output.WriteLineAsync($"outside addresses: {addresses}: the source of outbound connections and of UDP datagrams to destinations of that family, and where BIND listens").ConfigureAwait(false);
            }

            await WriteBalancerExplanationAsync(server, output, error).ConfigureAwait(false);
            foreach (string line in server.Routes.SelectMany(r => r.Explain()))
            {
                await output.WriteLineAsync(line).ConfigureAwait(false);
            }

            if (rules is null)
            {
                await output.WriteLineAsync("no [[rule]]: every client that server.allowed_clients admits may go anywhere the safe default allows").ConfigureAwait(false);
            }
            else
            {
                foreach (string warning in RuleNameCheck.Warnings(rules, server, users, groups))
                {
                    await error.WriteLineAsync(warning).ConfigureAwait(false);
                }
            }

            return Allowed;
        }

        // The server's own decision seam, built from the same configuration: allowed_clients, the SOCKS4 refusal,
        // the rules it runs with (including the one it makes from allowed_clients when the file has none), the groups
        // and this host's addresses.
        var gate = AccessGate.For(server, groups.ByUser, AccessGate.LocalAddresses(), passwordsRequired);
        request = request with
        {
            Groups = gate.GroupsOf(request.User),
            ServerAddresses = AccessGate.LocalAddresses(),
        };
        // The limits that would count the request are listed before the verdict (which stays the last line) when it is allowed.
        var decision = gate.Decide(request);
        string? rule = decision.Outcome == DecisionOutcome.NeedsAddress ? null : decision.DecidedBy;
        var limits = Windsock.Server.Limits.LimitsInForce.Describe(server.Limits, request.ClientAddress, request.User, rule, request.Command);
        return await DecideAsync(gate, server, request, options, limits, output, error, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> DecideAsync(AccessGate gate, ServerOptions server, AccessRequest request, CheckRequest options, IReadOnlyList<string> limits, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync($"request: {CheckRequestParser.Describe(request)}").ConfigureAwait(false);
        if (gate.RefuseClient(request.ClientAddress) is not null)
        {
            string where = server.Origins.TryGetValue("server.allowed_clients", out string? origin) ? $" ({origin})" : " (the default: loopback only)";
            await output.WriteLineAsync($"server.allowed_clients{where} does not admit {request.ClientAddress}: the server closes the connection before reading a byte, and no rule is asked").ConfigureAwait(false);
            return await VerdictAsync(output, limits, false, "client address not allowed").ConfigureAwait(false);
        }

        if (gate.RefuseVersion(request.Version) is { } refusal)
        {
            await output.WriteLineAsync($"{refusal}: SOCKS4 cannot authenticate, so the server answers 91 before any rule is asked").ConfigureAwait(false);
            return await VerdictAsync(output, limits, false, refusal).ConfigureAwait(false);
        }

        Explanation first = gate.Explain(request);
        if (first.Decision.Outcome != DecisionOutcome.NeedsAddress)
        {
            await output.WriteAsync(first.ToString()).ConfigureAwait(false);
            var outbound = OutboundExplanation.Describe(server, first.Decision.Rule, request.Command, request.Destination, null);
            return await VerdictAsync(output, limits, first.Decision.IsAllowed, null, outbound).ConfigureAwait(false);
        }

        string host = request.Destination.Host!;
        IPAddress[] addresses;
        string source;
        if (CheckRequestParser.NumericName(host) is { } numeric)
        {
            // The server's resolver (Dns.GetHostAddressesAsync, like getaddrinfo) reads such a name
            // itself and asks no DNS server, so check can know the answer.
            if (numeric.Equals(IPAddress.Any) || numeric.Equals(IPAddress.IPv6Any))
            {
                await output.WriteAsync(first.ToString()).ConfigureAwait(false);
                await output.WriteLineAsync($"{host} reads as the unspecified address {numeric}, which the server's resolver refuses").ConfigureAwait(false);
                return await VerdictAsync(output, limits, false, $"{host} does not resolve, so the server could not connect").ConfigureAwait(false);
            }

            addresses = [numeric];
            source = "a numeric name: the server's resolver reads it as this address without asking DNS";
        }
        else if (options.Addresses.Length > 0)
        {
            addresses = [.. options.Addresses.Select(a => IPAddress.Parse(a))];
            source = "--address";
        }
        else if (options.Resolve)
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ArgumentException)
            {
                await output.WriteAsync(first.ToString()).ConfigureAwait(false);
                await error.WriteLineAsync($"windsock check: cannot resolve {host}: {e.Message}").ConfigureAwait(false);
                return await VerdictAsync(output, limits, false, $"{host} does not resolve, so the server could not connect").ConfigureAwait(false);
            }

            source = "the system resolver";
        }
        else
        {
            await output.WriteAsync(first.ToString()).ConfigureAwait(false);
            await output.WriteLineAsync($"verdict: depends on the address {host} resolves to; run again with --resolve, or with --address ADDRESS").ConfigureAwait(false);
            return Denied;
        }

        await output.WriteLineAsync($"{host} resolves to {string.Join(", ", addresses.Select(a => a.ToString()))} ({source}); each address is decided on its own:").ConfigureAwait(false);
        IPAddress? allowed = null;
        AccessRule? allowedBy = null;
        foreach (IPAddress resolved in addresses)
        {
            Explanation explanation = gate.Explain(request with { ResolvedAddress = resolved });
            await output.WriteLineAsync($"address {resolved}:").ConfigureAwait(false);
            foreach (string line in explanation.ToString().TrimEnd('\n').Split('\n'))
            {
                await output.WriteLineAsync("  " + line).ConfigureAwait(false);
            }

            if (explanation.Decision.IsAllowed && allowed is null)
            {
                allowed = resolved;
                allowedBy = explanation.Decision.Rule;
            }
        }

        string note = allowed is not null
            ? $"the server connects to the first allowed address, {allowed}"
            : addresses.Length == 0 ? $"{host} has no address" : "no address is allowed";
        var how = allowed is null ? [] : OutboundExplanation.Describe(server, allowedBy, request.Command, request.Destination, allowed);
        return await VerdictAsync(output, limits, allowed is not null, note, how).ConfigureAwait(false);
    }

    private static async Task<int> VerdictAsync(TextWriter output, IReadOnlyList<string> limits, bool allowed, string? note, IReadOnlyList<string>? outbound = null)
    {
        if (allowed)
        {
            await output.WriteLineAsync("limits that apply:").ConfigureAwait(false);
            foreach (string line in limits)
            {
                await output.WriteLineAsync("  " + line).ConfigureAwait(false);
            }

            // How the connection goes out: an upstream route (which one, its chains, its failover) or the source address.
            foreach (string line in outbound ?? [])
            {
                await output.WriteLineAsync(line).ConfigureAwait(false);
            }
        }

        await output.WriteLineAsync($"verdict: {(allowed ? "allow" : "deny")}{(note is null ? "" : $" ({note})")}").ConfigureAwait(false);
        return allowed ? Allowed : Denied;
    }

    /// <summary>server.proxy_protocol_from in words (<see cref="BalancerExplanation"/>): stdout for what it does, stderr for its warnings.</summary>
    private static async Task WriteBalancerExplanationAsync(ServerOptions server, TextWriter output, TextWriter error)
    {
        (IReadOnlyList<string> lines, IReadOnlyList<string> warnings) = BalancerExplanation.Explain(server);
        foreach (string line in lines)
        {
            await output.WriteLineAsync(line).ConfigureAwait(false);
        }

        foreach (string warning in warnings)
        {
            await error.WriteLineAsync(warning).ConfigureAwait(false);
        }
    }
}
