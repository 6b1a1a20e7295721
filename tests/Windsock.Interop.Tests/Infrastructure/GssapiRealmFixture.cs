using System.Globalization;
using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// A throwaway MIT realm (WINDSOCK.TEST) with users alice, bob and carol, the proxy's service rcmd/localhost in
/// a keytab of its own, and host/localhost known to the KDC but not in that keytab (the wrong service). Three
/// `windsock serve` processes read the keytab:
/// <list type="bullet">
/// <item><see cref="Protected"/>: every level, service_principal set, rules that let alice through and deny
/// every other principal of the realm.</item>
/// <item><see cref="Clear"/>: protection = ["clear"] only, Dante's mode for clients that cannot wrap (curl).</item>
/// <item><see cref="IntegrityOnly"/>: protection = ["integrity"] only.</item>
/// </list>
/// </summary>
public sealed class GssapiRealmFixture : IAsyncLifetime
{
    public const string Password = "kerberos-Horse-1961";
    public const string Alice = "alice@" + KerberosRealm.RealmName;
    public const string Bob = "bob@" + KerberosRealm.RealmName;

    private readonly TempDirectory _dir = new();
    private KerberosRealm? _realm;
    private readonly List<WindsockProcess> _servers = [];

    public KerberosRealm Realm => _realm ?? throw new InvalidOperationException("not started");

    public string Keytab { get; private set; } = "";

    /// <summary>KRB5CCNAME values with a fresh ticket-granting ticket.</summary>
    public string AliceCache { get; private set; } = "";

    public string BobCache { get; private set; } = "";

    public WindsockProcess Protected { get; private set; } = null!;

    public WindsockProcess Clear { get; private set; } = null!;

    public WindsockProcess IntegrityOnly { get; private set; } = null!;

    public string Directory => _dir.Path;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _realm = await KerberosRealm.StartAsync(ct);
        foreach (var user in new[] { "alice", "bob", "carol" })
        {
            await Realm.AddUserAsync(user, Password, ct);
        }

        Keytab = await Realm.AddServiceAsync("rcmd", ct);
        await Realm.AddServiceAsync("host", ct); // known to the KDC, absent from the proxy's keytab
        AliceCache = await Realm.KinitAsync("alice", Password, cancellationToken: ct);
        BobCache = await Realm.KinitAsync("bob", Password, cancellationToken: ct);

        var starts = new[]
        {
            StartAsync("protected", $$"""
                [gssapi]
                keytab = "{{Keytab}}"
                service_principal = "rcmd/localhost@{{KerberosRealm.RealmName}}"
                protection = ["integrity", "confidentiality", "selective", "clear"]

                [[rule]]
                name = "alice"
                action = "allow"
                users = ["{{Alice}}"]
                methods = ["gssapi"]

                [[rule]]
                name = "rest of the realm"
                action = "deny"
                users = ["*@{{KerberosRealm.RealmName}}"]
                reason = "only alice may use this proxy"
                """),
            StartAsync("clear", $"[gssapi]\nkeytab = \"{Keytab}\"\nprotection = [\"clear\"]\n"),
            StartAsync("integrity", $"[gssapi]\nkeytab = \"{Keytab}\"\nprotection = [\"integrity\"]\n"),
        };
        var servers = await Task.WhenAll(starts);
        (Protected, Clear, IntegrityOnly) = (servers[0], servers[1], servers[2]);
    }

    /// <summary>What a server process needs: the realm's krb5.conf, and no ticket cache of its own.</summary>
    public IReadOnlyDictionary<string, string> ServerEnvironment => new Dictionary<string, string>(Realm.Environment)
    {
        ["KRB5CCNAME"] = "FILE:" + Path.Combine(Directory, "no-server-cache"),
    };

    /// <summary>What a client needs: the realm's krb5.conf and a ticket cache.</summary>
    public IReadOnlyDictionary<string, string> ClientEnvironment(string cache) => new Dictionary<string, string>(Realm.Environment)
    {
        ["KRB5CCNAME"] = cache,
    };

    public async Task<WindsockProcess> StartAsync(string name, string config)
    {
        var path = Path.Combine(Directory, name + ".toml");
        await File.WriteAllTextAsync(path, config, TestContext.Current.CancellationToken);
        var server = await WindsockProcess.StartAsync(["--config", path, "--listen", "127.0.0.1:0"], hostsFile: null, ServerEnvironment);
        lock (_servers)
        {
            _servers.Add(server);
        }

        return server;
    }

    /// <summary>Runs tests/Windsock.Interop.Tests/python/gssapi_socks.py (Debian's python3 has python3-gssapi).</summary>
    public Task<ProcessResult> PythonAsync(WindsockProcess server, string cache, params string[] args) =>
        ProcessRunner.RunAsync(Tools.Python,
            [Path.Combine(Tools.PythonDirectory, "gssapi_socks.py"), "--proxy", Clients.HostPort(server.IPv4), .. args],
            environment: ClientEnvironment(cache));

    public static string Bytes(int count) => count.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        if (_realm is not null)
        {
            await _realm.DisposeAsync();
        }

        _dir.Dispose();
    }
}
