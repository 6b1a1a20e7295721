using System.Runtime.InteropServices;
using Xunit;

[assembly: AssemblyFixture(typeof(Windsock.Client.Tests.Support.KerberosFixture))]

namespace Windsock.Client.Tests.Support;

/// <summary>
/// One throwaway realm for the whole test process, started by the first GSSAPI test: user alice with a
/// ticket cache, and rcmd/localhost with a keytab for the in-test acceptors. MIT's library reads
/// KRB5_CONFIG, KRB5CCNAME and KRB5_KTNAME from the native environment, which .NET's
/// Environment.SetEnvironmentVariable does not change on Unix, so they are set with libc's setenv once,
/// before any GSS-API call, and for child processes in .NET's copy as well.
/// </summary>
public sealed class KerberosFixture : IAsyncDisposable
{
    public const string User = "alice";
    public const string Password = "alice-pw-1";
    public const string Service = "rcmd";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Kerberos? _started;

    public async Task<Kerberos> GetAsync()
    {
        if (!KerberosRealm.ToolsInstalled)
        {
            Assert.Skip("MIT Kerberos tools are missing (Debian krb5-kdc, krb5-admin-server, krb5-user; test.sh installs them).");
        }

        await _gate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_started is null)
            {
                var realm = await KerberosRealm.StartAsync(TestContext.Current.CancellationToken);
                await realm.AddUserAsync(User, Password, TestContext.Current.CancellationToken);
                await realm.AddUserAsync("bob", "bob-pw-1", TestContext.Current.CancellationToken);
                string keytab = await realm.AddServiceAsync(Service, TestContext.Current.CancellationToken);
                string cache = await realm.KinitAsync(User, Password, cancellationToken: TestContext.Current.CancellationToken);
                Set("KRB5_CONFIG", realm.ConfigPath);
                Set("KRB5CCNAME", cache);
                Set("KRB5_KTNAME", $"FILE:{keytab}");
                // No replay cache file for the in-test acceptors: each test process is its own world.
                Set("KRB5RCACHETYPE", "none");
                _started = new Kerberos(realm, keytab, cache);
            }

            return _started;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_started is not null)
        {
            await _started.Realm.DisposeAsync();
        }

        _gate.Dispose();
    }

    private static void Set(string name, string value)
    {
        if (NativeMethods.setenv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv {name} failed");
        }

        Environment.SetEnvironmentVariable(name, value);
    }

    private static class NativeMethods
    {
#pragma warning disable SYSLIB1054 // a one-off call in tests; DllImport marshals the strings without unsafe code
        [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        public static extern int setenv(string name, string value, int overwrite);
#pragma warning restore SYSLIB1054
    }
}

/// <summary>The realm, the proxy's keytab and alice's ticket cache.</summary>
public sealed record Kerberos(KerberosRealm Realm, string Keytab, string Cache)
{
    /// <summary>The principal the tests' proxies are, as clients name it.</summary>
    public const string Target = "rcmd/localhost";
}
