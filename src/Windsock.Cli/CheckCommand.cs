using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
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
        var version = new Option<string?>("--version") { Description = "SOCKS version: 5 (the default), 4 or 4a." };
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
        Option<string?>[] valued = [config, user, from, to, command, version, method, clientConfig];
        foreach (Option<string?> option in valued)
        {
            // Checked in the action instead, so a missing value is a usage error (exit 2) like the others.
            option.Arity = ArgumentArity.ZeroOrOne;
        }

        var check = new Command("check", "Validate a configuration; with --from and --to, show how the access rules decide a request and why. With --client --to, show how the client routing file routes a destination.")
        {
            config,
            user,
            from,
            to,
            command,
            version,
            method,
            resolve,
            address,
            client,
            clientConfig,
        };

        // Unknown arguments are reported by the action too, as usage errors (exit 2).
        check.TreatUnmatchedTokensAsErrors = false;
        check.SetAction(async (result, cancellationToken) =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            TextWriter error = result.InvocationConfiguration.Error;
            string? usage = result.UnmatchedTokens.Count > 0 ? $"unknown argument \"{result.UnmatchedTokens[0]}\"; see windsock check --help"
                : valued.FirstOrDefault(o => result.GetResult(o) is not null && result.GetValue(o) is null) is { } empty ? $"{empty.Name} needs a value"
                : result.GetResult(address) is { Tokens.Count: 0 } ? "--address needs a value"
                : result.GetValue(client) ? ((Option[])[config, user, from, command, version, method, resolve, address]).FirstOrDefault(o => result.GetResult(o) is { Implicit: false }) is { } serverOnly
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

            var request = new RequestOptions(
                result.GetValue(user),
                result.GetValue(from),
                result.GetValue(to),
                result.GetValue(command),
                result.GetValue(version),
                result.GetValue(method),
                result.GetValue(resolve),
                result.GetValue(address) ?? []);
            return await RunAsync(result.GetValue(config)!, request, output, error, cancellationToken).ConfigureAwait(false);
        });
        return check;
    }

    private sealed record RequestOptions(string? User, string? From, string? To, string? Command, string? Version, string? Method, bool Resolve, string[] Addresses)
    {
        public bool Any => User is not null || From is not null || To is not null || Command is not null || Version is not null || Method is not null || Resolve || Addresses.Length > 0;
    }

    private static async Task<int> RunAsync(string configPath, RequestOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        // Usage first: a typo in the request is reported before the configuration is read.
        AccessRequest? request = null;
        if (options.Any && !TryBuildRequest(options, out request, out string? usage))
        {
            await error.WriteLineAsync($"windsock check: error: {usage}").ConfigureAwait(false);
            return Usage;
        }

        ServerOptions server;
        try
        {
            server = ServeOptionsBuilder.Build(configPath, null, null, null);
            _ = ServeOptionsBuilder.LoadCredentials(server, TimeProvider.System);
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
            await WriteBalancerExplanationAsync(server, output, error).ConfigureAwait(false);
            if (rules is null)
            {
                await output.WriteLineAsync("no [[rule]]: every client that server.allowed_clients admits may go anywhere the safe default allows").ConfigureAwait(false);
            }
            else
            {
                foreach (string warning in UnknownNames(rules, groups, server.GroupsFile))
                {
                    await error.WriteLineAsync(warning).ConfigureAwait(false);
                }
            }

            return Allowed;
        }

        request = request with
        {
            Groups = groups.GroupsOf(request.User),
            ServerAddresses = LocalAddresses(),
        };
        // Exactly the rules the server runs with, including the one it makes from allowed_clients when the file has none.
        return await DecideAsync(Windsock.Server.Access.AccessGate.EffectiveRules(server), request, options, output, error, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> DecideAsync(RuleSet rules, AccessRequest request, RequestOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var engine = new PolicyEngine(rules);
        await output.WriteLineAsync($"request: {Describe(request)}").ConfigureAwait(false);
        Explanation first = engine.Explain(request);
        if (first.Decision.Outcome != DecisionOutcome.NeedsAddress)
        {
            await output.WriteAsync(first.ToString()).ConfigureAwait(false);
            return await VerdictAsync(output, first.Decision.IsAllowed, null).ConfigureAwait(false);
        }

        string host = request.Destination.Host!;
        IPAddress[] addresses;
        string source;
        if (NumericName(host) is { } numeric)
        {
            // The server's resolver (Dns.GetHostAddressesAsync, like getaddrinfo) reads such a name
            // itself and asks no DNS server, so check can know the answer.
            if (numeric.Equals(IPAddress.Any) || numeric.Equals(IPAddress.IPv6Any))
            {
                await output.WriteAsync(first.ToString()).ConfigureAwait(false);
                await output.WriteLineAsync($"{host} reads as the unspecified address {numeric}, which the server's resolver refuses").ConfigureAwait(false);
                return await VerdictAsync(output, false, $"{host} does not resolve, so the server could not connect").ConfigureAwait(false);
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
                return await VerdictAsync(output, false, $"{host} does not resolve, so the server could not connect").ConfigureAwait(false);
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
        foreach (IPAddress resolved in addresses)
        {
            Explanation explanation = engine.Explain(request with { ResolvedAddress = resolved });
            await output.WriteLineAsync($"address {resolved}:").ConfigureAwait(false);
            foreach (string line in explanation.ToString().TrimEnd('\n').Split('\n'))
            {
                await output.WriteLineAsync("  " + line).ConfigureAwait(false);
            }

            if (explanation.Decision.IsAllowed)
            {
                allowed ??= resolved;
            }
        }

        string note = allowed is not null
            ? $"the server connects to the first allowed address, {allowed}"
            : addresses.Length == 0 ? $"{host} has no address" : "no address is allowed";
        return await VerdictAsync(output, allowed is not null, note).ConfigureAwait(false);
    }

    private static async Task<int> VerdictAsync(TextWriter output, bool allowed, string? note)
    {
        await output.WriteLineAsync($"verdict: {(allowed ? "allow" : "deny")}{(note is null ? "" : $" ({note})")}").ConfigureAwait(false);
        return allowed ? Allowed : Denied;
    }

    private static bool TryBuildRequest(RequestOptions options, out AccessRequest? request, out string? problem)
    {
        request = null;
        if (options.From is null || options.To is null)
        {
            problem = "a request to check needs --from ADDRESS[:PORT] and --to HOST:PORT";
            return false;
        }

        if (!TryParseClient(options.From, out IPAddress? client, out ushort clientPort, out problem)
            || !TryParseDestination(options.To, out SocksEndpoint destination, out problem))
        {
            return false;
        }

        PolicyCommand command = PolicyCommand.Connect;
        if (options.Command is not null && !PolicyCommands.TryParse(options.Command, out command, out problem))
        {
            problem = $"--command: {problem}";
            return false;
        }

        string versionText = options.Version ?? "5";
        if (!VersionSet.TryParseName(versionText, out PolicyVersion version, out problem))
        {
            problem = $"--version: {problem}";
            return false;
        }

        if (version == PolicyVersion.Socks4a && !destination.IsHostName)
        {
            problem = "--version 4a: SOCKS4a carries a host name, but --to is an address; write --version 4, or a name";
            return false;
        }

        AuthMethod method = options.User is null ? AuthMethod.None : AuthMethod.UsernamePassword;
        if (version != PolicyVersion.Socks5)
        {
            method = AuthMethod.None;
            if (options.Method is not null and not "none")
            {
                problem = "--method: SOCKS4 has no authentication methods; leave out --method (a SOCKS4 --user stands for a USERID that ident confirmed)";
                return false;
            }
        }
        else if (options.Method is not null && !AuthMethodSet.TryParseName(options.Method, out method, out problem))
        {
            problem = $"--method: {problem}";
            return false;
        }

        if (version == PolicyVersion.Socks5 && method == AuthMethod.None && options.User is not null)
        {
            problem = "--user with --method none: a SOCKS5 request without authentication has no user; leave out one of them";
            return false;
        }

        if (options.User is not null && !UserSet.TryParseName(options.User, out problem))
        {
            problem = $"--user: {problem}";
            return false;
        }

        if (options.Addresses.Length > 0 && destination.IsHostName && NumericName(destination.Host!) is { } numeric)
        {
            problem = $"--address: the server's resolver reads the name {destination.Host} as {numeric} without asking DNS; leave out --address";
            return false;
        }

        if (options.Addresses.Length > 0 && (options.Resolve || !destination.IsHostName))
        {
            problem = options.Resolve ? "--address and --resolve exclude each other; give the addresses or let the system resolve" : "--address is for a destination name; --to is an address already";
            return false;
        }

        foreach (string text in options.Addresses)
        {
            if (!NetworkSyntax.TryParseAddress(text, out _, out problem))
            {
                problem = $"--address: {problem}";
                return false;
            }
        }

        request = new AccessRequest
        {
            User = options.User,
            Method = method,
            Version = version == PolicyVersion.Socks5 ? SocksVersion.Socks5 : SocksVersion.Socks4,
            Command = command,
            ClientAddress = client!,
            ClientPort = clientPort,
            Destination = destination,
        };
        problem = null;
        return true;
    }

    /// <summary>"192.0.2.10", "192.0.2.10:40000", "2001:db8::1", "[2001:db8::1]:40000".</summary>
    private static bool TryParseClient(string text, out IPAddress? address, out ushort port, out string? problem)
    {
        port = 0;
        string addressText = text;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < text.Length && text[close + 1] != ':'))
            {
                address = null;
                problem = $"--from \"{text}\": write [IPV6]:PORT, e.g. [2001:db8::1]:40000";
                return false;
            }

            addressText = text[1..close];
            portText = close + 1 < text.Length ? text[(close + 2)..] : null;
        }
        else if (text.Count(c => c == ':') == 1)
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            addressText = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (!NetworkSyntax.TryParseAddress(addressText, out address, out problem))
        {
            problem = $"--from: {problem}";
            return false;
        }

        if (portText is not null && !ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            problem = $"--from: \"{portText}\" is not a port number from 0 to 65535";
            return false;
        }

        return true;
    }

    /// <summary>
    /// The address a name made of a number in one of the old inet_aton forms (127.1, 2130706433,
    /// 0x7f.1, 0) stands for. Such a name is not an address on the wire: a client sends it as a
    /// name, rules see it as a name, and the server's resolver reads it as this address.
    /// </summary>
    private static IPAddress? NumericName(string host) =>
        !host.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(host, out IPAddress? address) ? address : null;

    /// <summary>
    /// "www.example.org:443", "192.0.2.7:https", "[2001:db8::7]:443". A plain dotted quad or an IPv6
    /// address is an address; anything else, including 127.1, 2130706433 and 0, is a name, as the
    /// server receives it from a client (SOCKS4a, SOCKS5 DOMAINNAME).
    /// </summary>
    private static bool TryParseDestination(string text, out SocksEndpoint destination, out string? problem)
    {
        destination = default;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            problem = $"--to \"{text}\": write HOST:PORT, e.g. www.example.org:443 or [2001:db8::1]:443";
            return false;
        }

        string host = text[..colon];
        string portText = text[(colon + 1)..];
        if (!PortSet.TryParseItem(portText, out (ushort Low, ushort High) range, out problem) || range.Low != range.High)
        {
            problem = $"--to: \"{portText}\" is not a port number or service name";
            return false;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            if (!host.Contains(':', StringComparison.Ordinal))
            {
                problem = $"--to \"{text}\": only IPv6 addresses go in brackets";
                return false;
            }
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            problem = $"--to \"{text}\": put an IPv6 address in brackets, e.g. [{host}]:{portText}";
            return false;
        }

        if (IPAddress.TryParse(host, out _))
        {
            if (NetworkSyntax.TryParseAddress(host, out IPAddress? address, out problem))
            {
                destination = SocksEndpoint.FromAddress(address, range.Low);
                return true;
            }

            if (host.Contains(':', StringComparison.Ordinal))
            {
                problem = $"--to: {problem}";
                return false;
            }

            // 127.1, 2130706433, 0: a name, as a client sends it.
        }

        try
        {
            destination = SocksEndpoint.FromHost(host, range.Low);
        }
        catch (ArgumentException e)
        {
            problem = $"--to: {e.Message}";
            return false;
        }

        problem = null;
        return true;
    }

    private static string Describe(AccessRequest request)
    {
        var text = new StringBuilder();
        text.Append(request.User is null ? "no authenticated user" : $"user {request.User}");
        if (request.User is not null)
        {
            text.Append(request.Groups.Count == 0 ? " (no groups)" : $" (groups {string.Join(", ", request.Groups)})");
        }

        string method = request.Version == SocksVersion.Socks5 ? $", method {AuthMethodSet.Name(request.Method)}" : string.Empty;
        text.Append(CultureInfo.InvariantCulture, $", SOCKS{request.VersionName}{method}, {request.Command.Name()} from {request.ClientAddress}");
        if (request.ClientPort != 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" port {request.ClientPort}");
        }

        text.Append(CultureInfo.InvariantCulture, $" to {request.Destination}");
        return text.ToString();
    }

    /// <summary>This host's addresses: the safe default protects them from non-loopback clients, as in the server.</summary>
    private static IPAddress[] LocalAddresses()
    {
        try
        {
            return
            [
                .. NetworkInterface.GetAllNetworkInterfaces()
                    .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                    .Select(u => u.Address),
            ];
        }
        catch (NetworkInformationException)
        {
            return [];
        }
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

    /// <summary>Warnings for names in rules that the users or groups file does not define: such a rule part never matches.</summary>
    private static IEnumerable<string> UnknownNames(RuleSet rules, GroupMembership groups, string? groupsFile)
    {
        for (int i = 0; i < rules.Rules.Count; i++)
        {
            AccessRule rule = rules.Rules[i];
            if (rule.Users is null || groupsFile is null)
            {
                continue;
            }

            foreach (string group in rule.Users.Groups.Where(g => !groups.Groups.Contains(g)).Order(StringComparer.Ordinal))
            {
                yield return $"{rule.Location}: warning: {rule.Describe(i + 1)} names group \"{group}\", which {groupsFile} does not define";
            }
        }
    }
}
