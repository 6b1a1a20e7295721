using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Testing;

/// <summary>
/// A throwaway MIT Kerberos realm on loopback: its own krb5.conf and kdc.conf in a temporary directory,
/// a database made with kdb5_util, principals and a keytab made with kadmin.local, and krb5kdc in the
/// foreground on a free 127.0.0.1 port (TCP and UDP). Nothing in /etc is read or written: every tool and
/// every process the tests start gets <see cref="Environment"/> (KRB5_CONFIG, KRB5_KDC_PROFILE).
/// Debian's krb5-kdc, krb5-admin-server and krb5-user provide the tools; test.sh installs them.
/// </summary>
public sealed class KerberosRealm : IAsyncDisposable
{
    public const string RealmName = "WINDSOCK.TEST";

    /// <summary>The host part of the service principal: clients name the proxy "localhost".</summary>
    public const string ServiceHost = "localhost";

    private const string Kdb5Util = "/usr/sbin/kdb5_util";
    private const string KadminLocal = "/usr/sbin/kadmin.local";
    private const string Krb5Kdc = "/usr/sbin/krb5kdc";
    private const string Kinit = "/usr/bin/kinit";

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _kdc;

    private KerberosRealm(string directory, int port, Process kdc)
    {
        Directory = directory;
        Port = port;
        _kdc = kdc;
    }

    /// <summary>The realm's own directory: configuration, database, keytabs, ticket caches, KDC log.</summary>
    public string Directory { get; }

    /// <summary>The KDC's port on 127.0.0.1.</summary>
    public int Port { get; }

    public string ConfigPath => Path.Combine(Directory, "krb5.conf");

    public string KdcLogPath => Path.Combine(Directory, "kdc.log");

    /// <summary>True when the MIT tools are installed (the tests that need a realm say so when they are not).</summary>
    public static bool ToolsInstalled => new[] { Kdb5Util, KadminLocal, Krb5Kdc, Kinit }.All(File.Exists);

    /// <summary>What every process touching this realm needs in its environment.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["KRB5_CONFIG"] = ConfigPath,
        ["KRB5_KDC_PROFILE"] = Path.Combine(Directory, "kdc.conf"),
    };

    /// <summary>Creates the realm and starts its KDC, retrying on another port if one is taken meanwhile.</summary>
    public static Task<KerberosRealm> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(clockSkew: null, cancellationToken);

    /// <summary>
    /// As <see cref="StartAsync(CancellationToken)"/>, with krb5.conf's clockskew set (whole seconds). MIT accepts
    /// tickets up to the skew (5 minutes by default) past their end, at the KDC and at every acceptor; a test of
    /// expiry needs a small one, which every process reading this realm's krb5.conf then shares.
    /// </summary>
    public static async Task<KerberosRealm> StartAsync(TimeSpan? clockSkew, CancellationToken cancellationToken = default)
    {
        if (!ToolsInstalled)
        {
            throw new InvalidOperationException($"MIT Kerberos tools are missing ({Kdb5Util}, {KadminLocal}, {Krb5Kdc}, {Kinit}); test.sh installs krb5-kdc, krb5-admin-server and krb5-user.");
        }

        for (int attempt = 1; ; attempt++)
        {
            string directory = Path.Combine(Path.GetTempPath(), $"windsock-krb5-{Guid.NewGuid():N}");
            System.IO.Directory.CreateDirectory(directory);
            int port = FreePort.Closed();
            WriteConfiguration(directory, port, clockSkew);
            var env = new Dictionary<string, string>
            {
                ["KRB5_CONFIG"] = Path.Combine(directory, "krb5.conf"),
                ["KRB5_KDC_PROFILE"] = Path.Combine(directory, "kdc.conf"),
            };
            await RunAsync(Kdb5Util, ["create", "-s", "-r", RealmName, "-P", Guid.NewGuid().ToString("N")], env, cancellationToken).ConfigureAwait(false);

            var kdc = Start(Krb5Kdc, ["-n", "-r", RealmName], env);
            var realm = new KerberosRealm(directory, port, kdc);
            if (await realm.AnswersAsync(cancellationToken).ConfigureAwait(false))
            {
                return realm;
            }

            string log = File.Exists(realm.KdcLogPath) ? await File.ReadAllTextAsync(realm.KdcLogPath, cancellationToken).ConfigureAwait(false) : "(no log)";
            await realm.DisposeAsync().ConfigureAwait(false);
            if (attempt >= 5)
            {
                throw new InvalidOperationException($"krb5kdc did not come up on 127.0.0.1:{port} after {attempt} attempts: {log}");
            }
        }
    }

    /// <summary>Adds a user principal with a password (<c>name@WINDSOCK.TEST</c>).</summary>
    public Task AddUserAsync(string name, string password, CancellationToken cancellationToken = default) =>
        KadminAsync($"addprinc -pw {password} {name}", cancellationToken);

    /// <summary>
    /// Adds <c>service/localhost</c> with a random key and writes its key to a keytab of its own; returns the
    /// keytab's path (<paramref name="keytab"/>, when given, gains the key next to those it holds). The SOCKS
    /// default service name is "rcmd" (curl and Dante use it).
    /// </summary>
    public async Task<string> AddServiceAsync(string service = "rcmd", CancellationToken cancellationToken = default, string? keytab = null)
    {
        string principal = $"{service}/{ServiceHost}";
        keytab ??= Path.Combine(Directory, $"{service}.keytab");
        await KadminAsync($"addprinc -randkey {principal}", cancellationToken).ConfigureAwait(false);
        await KadminAsync($"ktadd -k {keytab} {principal}", cancellationToken).ConfigureAwait(false);
        return keytab;
    }

    /// <summary>Disables a principal's tickets from now on (<c>modprinc -allow_tix</c>).</summary>
    public Task DisallowTicketsAsync(string principal, CancellationToken cancellationToken = default) =>
        KadminAsync($"modprinc -allow_tix {principal}", cancellationToken);

    /// <summary>
    /// Runs kinit for <paramref name="name"/> into a ticket cache file of its own and returns the cache's
    /// path, for KRB5CCNAME. <paramref name="lifetime"/> as kinit's -l takes it ("10h", "5s").
    /// </summary>
    public async Task<string> KinitAsync(string name, string password, string? lifetime = null, CancellationToken cancellationToken = default)
    {
        string cache = Path.Combine(Directory, $"cc-{name}-{Guid.NewGuid():N}");
        var env = new Dictionary<string, string>(Environment) { ["KRB5CCNAME"] = $"FILE:{cache}" };
        List<string> args = lifetime is null ? [] : ["-l", lifetime];
        args.Add(name);
        await RunAsync(Kinit, args, env, cancellationToken, stdin: password + "\n").ConfigureAwait(false);
        return $"FILE:{cache}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_kdc.HasExited)
            {
                _kdc.Kill(entireProcessTree: true);
                await _kdc.WaitForExitAsync(new CancellationTokenSource(ToolTimeout).Token).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            _kdc.Dispose();
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private Task KadminAsync(string query, CancellationToken cancellationToken) =>
        RunAsync(KadminLocal, ["-r", RealmName, "-q", query], new Dictionary<string, string>(Environment), cancellationToken, checkOutput: "error");

    private async Task<bool> AnswersAsync(CancellationToken cancellationToken)
    {
        // krb5kdc binds its ports, then serves; a TCP connect succeeding is the event to wait for.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(20));
        while (!deadline.IsCancellationRequested && !_kdc.HasExited)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), deadline.Token).ConfigureAwait(false);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false); // bounded by the deadline above
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return false;
    }

    private static void WriteConfiguration(string directory, int port, TimeSpan? clockSkew)
    {
        string p = port.ToString(CultureInfo.InvariantCulture);
        string skew = clockSkew is { } s ? $"clockskew = {(int)Math.Ceiling(s.TotalSeconds)}" : "";
        // rdns and dns_canonicalize_hostname off: "localhost" must stay "localhost", with no lookups.
        // udp_preference_limit 1: always TCP, so large tickets never meet UDP's limits.
        File.WriteAllText(Path.Combine(directory, "krb5.conf"), $$"""
            [libdefaults]
                default_realm = {{RealmName}}
                dns_lookup_kdc = false
                dns_lookup_realm = false
                dns_canonicalize_hostname = false
                rdns = false
                udp_preference_limit = 1
                ignore_acceptor_hostname = false
                {{skew}}
            [realms]
                {{RealmName}} = {
                    kdc = 127.0.0.1:{{p}}
                }
            [domain_realm]
                localhost = {{RealmName}}
                .localhost = {{RealmName}}
            """);
        File.WriteAllText(Path.Combine(directory, "kdc.conf"), $$"""
            [kdcdefaults]
                kdc_listen = 127.0.0.1:{{p}}
                kdc_tcp_listen = 127.0.0.1:{{p}}
            [realms]
                {{RealmName}} = {
                    database_name = {{directory}}/principal
                    key_stash_file = {{directory}}/stash
                    acl_file = {{directory}}/kadm5.acl
                    max_life = 10h
                    max_renewable_life = 1d
                }
            [logging]
                kdc = FILE:{{directory}}/kdc.log
                admin_server = FILE:{{directory}}/kadmin.log
                default = FILE:{{directory}}/krb5.log
            """);
    }


    /// <summary>Every stream redirected, the realm's environment added to the inherited one.</summary>
    private static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env)
    {
        var psi = ChildProcess.StartInfo(file, args);
        foreach ((string key, string value) in env)
        {
            psi.Environment[key] = value;
        }

        return psi;
    }

    private static Process Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env)
    {
        var psi = StartInfo(file, args, env);
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, CancellationToken cancellationToken, string? stdin = null, string? checkOutput = null)
    {
        var psi = StartInfo(file, args, env);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin).ConfigureAwait(false);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ToolTimeout);
        await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        string output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        // kadmin.local exits 0 even when its query fails; its complaint is the only sign.
        bool complained = checkOutput is not null && output.Contains(checkOutput, StringComparison.OrdinalIgnoreCase)
            && !output.Contains("No policy specified", StringComparison.Ordinal);
        if (process.ExitCode != 0 || complained)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', psi.ArgumentList)} failed ({process.ExitCode}): {output}");
        }
    }
}
