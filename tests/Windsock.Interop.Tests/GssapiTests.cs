using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// GSSAPI (RFC 1961) with Kerberos against a real MIT KDC on loopback. The client that checks integrity and
/// confidentiality is written from the RFC with Python's GSSAPI bindings (python/gssapi_socks.py), so a
/// mistake made the same way on both of Windsock's sides cannot pass: it also checks that the server's
/// messages are encrypted exactly when the level says so. curl 7.88 is the other independent client.
/// </summary>
[Trait("Needs", "windsock-serve")]
[Trait("Needs", "kerberos")]
public sealed class GssapiTests(GssapiRealmFixture realm) : IClassFixture<GssapiRealmFixture>
{
    private const int OneMebibyte = 1 << 20;

    private WindsockProcess Protected => realm.Protected;

    [Theory]
    [InlineData("integrity")]
    [InlineData("confidentiality")]
    [InlineData("selective")]
    [InlineData("clear")]
    public async Task Connect_relays_a_mebibyte_intact_at_each_level(string level)
    {
        int before = Protected.StdoutLines.Count;
        var result = await realm.PythonAsync(Protected, realm.AliceCache, "--level", level, "--bytes", GssapiRealmFixture.Bytes(OneMebibyte));

        Expect.Success(result, Protected);
        Assert.Contains($"granted {level}", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains($"echoed {OneMebibyte} bytes intact", result.StdoutText, StringComparison.Ordinal);
        var end = await NewLineAsync(Protected, before, l => IsEnd(l) && l.Contains("command=connect", StringComparison.Ordinal), "the session's end line");
        Assert.Contains("auth=gssapi", end, StringComparison.Ordinal);
        Assert.Contains($"user={GssapiRealmFixture.Alice}", end, StringComparison.Ordinal);
        Assert.Contains($"protection={level}", end, StringComparison.Ordinal);
        Assert.Contains("rule=\"rule 1 \\\"alice\\\"", end, StringComparison.Ordinal);
        Assert.True(LogWords.HasNumber(end, OneMebibyte), $"plaintext byte counts expected in {end}");
    }

    [Fact]
    public async Task Nec_style_unwrapped_level_octet_is_answered_in_kind()
    {
        var result = await realm.PythonAsync(Protected, realm.AliceCache, "--nec", "--level", "integrity", "--bytes", "70000");
        Expect.Success(result, Protected);
        Assert.Contains("echoed 70000 bytes intact", result.StdoutText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("integrity")]
    [InlineData("confidentiality")]
    [InlineData("selective")]
    public async Task Udp_associate_datagrams_are_wrapped_both_ways(string level)
    {
        int before = Protected.StdoutLines.Count;
        var result = await realm.PythonAsync(Protected, realm.AliceCache, "--mode", "udp", "--level", level);

        Expect.Success(result, Protected);
        Assert.Contains("udp datagrams echoed intact", result.StdoutText, StringComparison.Ordinal);
        var end = await NewLineAsync(Protected, before, l => IsEnd(l) && l.Contains("command=udp-associate", StringComparison.Ordinal), "the association's end line");
        Assert.Contains("datagrams_up=5 datagrams_down=5 dropped=0", end, StringComparison.Ordinal);
        Assert.Contains($"protection={level}", end, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("integrity")]
    [InlineData("confidentiality")]
    public async Task Bind_replies_and_data_are_wrapped(string level)
    {
        int before = Protected.StdoutLines.Count;
        var result = await realm.PythonAsync(Protected, realm.AliceCache, "--mode", "bind", "--level", level, "--bytes", "300000");

        Expect.Success(result, Protected);
        Assert.Contains("bind peer accepted", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("echoed 300000 bytes intact", result.StdoutText, StringComparison.Ordinal);
        var end = await NewLineAsync(Protected, before, l => IsEnd(l) && l.Contains("command=bind", StringComparison.Ordinal), "the BIND end line");
        Assert.Contains($"protection={level}", end, StringComparison.Ordinal);
        Assert.True(LogWords.HasNumber(end, 300000), end);
    }

    [Theory]
    [InlineData("integrity")]
    [InlineData("confidentiality")]
    public async Task A_tampered_message_ends_the_session_and_reaches_nobody(string level)
    {
        int before = Protected.StdoutLines.Count;
        var result = await realm.PythonAsync(Protected, realm.AliceCache, "--mode", "tamper", "--level", level);

        // The script's own target counts what it received: nothing.
        Expect.Success(result, Protected);
        Assert.Contains("session ended, target received 0 bytes", result.StdoutText, StringComparison.Ordinal);
        var end = await NewLineAsync(Protected, before, l => IsEnd(l) && l.Contains("MessageAltered", StringComparison.Ordinal), "the tampered message in the end line");
        Assert.Contains("reason=\"gssapi: tampered message: MessageAltered\"", end, StringComparison.Ordinal);
        Assert.Contains("bytes_up=0", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ticket_for_another_service_is_refused_and_named()
    {
        int before = Protected.StdoutLines.Count;
        var result = await realm.PythonAsync(Protected, realm.AliceCache, "--service", "host", "--mode", "auth");

        Assert.Equal(5, result.ExitCode); // the server aborted (MTYP 0xFF)
        var end = await NewLineAsync(Protected, before, l => IsEnd(l) && l.Contains("gssapi:", StringComparison.Ordinal), "the refusal");
        Assert.Contains($"ticket is for host/localhost@{KerberosRealm.RealmName}, but this server is rcmd/localhost@{KerberosRealm.RealmName}", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_without_a_ticket_aborts_and_the_log_says_so()
    {
        int before = Protected.StdoutLines.Count;
        var result = await realm.PythonAsync(Protected, "FILE:" + Path.Combine(realm.Directory, "no-such-cache"));

        Assert.Equal(4, result.ExitCode);
        Assert.True(result.StderrMentions("No Kerberos credentials"), result.Describe());
        var end = await NewLineAsync(Protected, before, l => IsEnd(l) && l.Contains("gssapi:", StringComparison.Ordinal), "the client's abort");
        Assert.Contains("client aborted the context establishment", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_principal_whose_tickets_are_disallowed_gets_none_and_is_refused()
    {
        await realm.Realm.DisallowTicketsAsync("carol", TestContext.Current.CancellationToken);
        var kinit = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            realm.Realm.KinitAsync("carol", GssapiRealmFixture.Password, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("kinit", kinit.Message, StringComparison.Ordinal);

        int before = Protected.StdoutLines.Count;
        var result = await realm.PythonAsync(Protected, "FILE:" + Path.Combine(realm.Directory, "cc-carol-refused"));
        Assert.Equal(4, result.ExitCode);
        await NewLineAsync(Protected, before, l => IsEnd(l) && l.Contains("client aborted the context establishment", StringComparison.Ordinal), "the client's abort");
    }

    [Fact]
    public async Task Rules_name_principals_another_principal_of_the_realm_is_denied()
    {
        int before = Protected.StdoutLines.Count;
        var result = await realm.PythonAsync(Protected, realm.BobCache, "--level", "confidentiality", "--bytes", "10");

        Assert.Equal(7, result.ExitCode);
        Assert.True(result.StderrMentions("reply 2"), result.Describe()); // REP 2: not allowed by ruleset, wrapped
        var end = await NewLineAsync(Protected, before, l => IsEnd(l) && l.Contains(GssapiRealmFixture.Bob, StringComparison.Ordinal), "bob's end line");
        Assert.Contains("rule=\"rule 2 \\\"rest of the realm\\\"", end, StringComparison.Ordinal);
        Assert.Contains("reply=2", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_level_the_server_does_not_accept_is_refused_with_the_accepted_ones()
    {
        int before = realm.IntegrityOnly.StdoutLines.Count;
        var result = await realm.PythonAsync(realm.IntegrityOnly, realm.AliceCache, "--level", "clear");

        Assert.Equal(5, result.ExitCode);
        var end = await NewLineAsync(realm.IntegrityOnly, before, l => IsEnd(l) && l.Contains("gssapi:", StringComparison.Ordinal), "the refusal");
        Assert.Contains("client asked for protection clear; this server accepts integrity", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lower_level_is_granted_and_a_client_that_leaves_then_is_explained()
    {
        // Asked confidentiality, granted integrity (RFC 1961: the server may answer with a lower level). The
        // script insists on what it asked for and leaves, as curl does when it is granted any protection.
        int before = realm.IntegrityOnly.StdoutLines.Count;
        var result = await realm.PythonAsync(realm.IntegrityOnly, realm.AliceCache, "--level", "confidentiality");

        Assert.Equal(6, result.ExitCode);
        Assert.True(result.StderrMentions("asked for confidentiality, granted integrity"), result.Describe());
        var end = await NewLineAsync(realm.IntegrityOnly, before, IsEnd, "the session's end");
        Assert.Contains("client closed after being granted gssapi protection integrity", end, StringComparison.Ordinal);
    }

    /// <summary>
    /// curl 7.88.1 (Debian 12) offers GSS-API and Windsock selects it, but curl cannot finish: its SOCKS state
    /// machine forgets that GSS-API was allowed when the method selection arrives after its first read
    /// ("per-message authentication is not supported"), and when it does negotiate, it then fails with
    /// "Undocumented SOCKS5 mode" (lib/socks.c falls out of the GSS-API branch). Pinned here so that a curl
    /// that works shows up as a failing test to turn into a success test; see docs/gssapi.md.
    /// </summary>
    [Theory]
    [InlineData("--socks5-gssapi")]
    [InlineData("--socks5-gssapi-nec")]
    public async Task Curl_7_88_offers_gssapi_and_windsock_selects_it_but_curl_cannot_finish(string flag)
    {
        var server = realm.Clear;
        int before = server.StdoutLines.Count;
        string[] args = flag == "--socks5-gssapi" ? [flag] : ["--socks5-gssapi", flag];
        var result = await ProcessRunner.RunAsync(Tools.Curl,
            ["-sS", "--max-time", "60", "-o", "-", .. args, "--proxy-service-name", "rcmd/localhost",
             "-x", $"socks5h://{Clients.HostPort(server.IPv4)}", "http://127.0.0.1:9/"],
            environment: realm.ClientEnvironment(realm.AliceCache));

        Expect.Refused(result, server);
        Assert.True(result.ExitCode == 97 && (result.StderrMentions("GSSAPI per-message authentication is not supported") || result.StderrMentions("Undocumented SOCKS5 mode")),
            $"curl now fails differently (or works): turn this into a success test\n{result.Describe()}\n{server.Transcript()}");
        var end = await NewLineAsync(server, before, IsEnd, "the session's end");
        Assert.Contains("auth=gssapi", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_changes_the_accepted_levels()
    {
        var path = Path.Combine(realm.Directory, "reload.toml");
        var server = await realm.StartAsync("reload", $"[gssapi]\nkeytab = \"{realm.Keytab}\"\nprotection = [\"clear\"]\n");
        var clear = await realm.PythonAsync(server, realm.AliceCache, "--level", "integrity", "--bytes", "1000");
        Assert.Contains("granted clear", clear.StdoutText, StringComparison.Ordinal); // the strongest accepted below integrity

        await File.WriteAllTextAsync(path, $"[gssapi]\nkeytab = \"{realm.Keytab}\"\nprotection = [\"integrity\"]\n", TestContext.Current.CancellationToken);
        server.Hangup();
        await server.WaitForLineAsync(l => l.Contains("configuration reloaded", StringComparison.Ordinal), "the reload");

        var integrity = await realm.PythonAsync(server, realm.AliceCache, "--level", "integrity", "--bytes", "1000");
        Expect.Success(integrity, server);
        Assert.Contains("granted integrity", integrity.StdoutText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("up", "integrity")]
    [InlineData("down", "confidentiality")]
    public async Task A_bandwidth_limit_paces_a_protected_session_in_each_direction(string direction, string level)
    {
        // 1 MiB echoed through a per-user limit of 192 KiB/s in one direction: a second's worth passes at once,
        // the other 832 KiB take about 4.3 s. Unpaced, the same transfer takes well under a second here.
        const int rate = 192 * 1024;
        var server = await realm.StartAsync("paced-" + direction, $$"""
            [gssapi]
            keytab = "{{realm.Keytab}}"
            protection = ["{{level}}"]

            [limits]
            bandwidth_per_user_{{direction}} = {{rate}}
            """);
        int before = server.StdoutLines.Count;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await realm.PythonAsync(server, realm.AliceCache, "--level", level, "--bytes", GssapiRealmFixture.Bytes(OneMebibyte));
        clock.Stop();

        Expect.Success(result, server);
        Assert.Contains($"echoed {OneMebibyte} bytes intact", result.StdoutText, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(3.5), TimeSpan.FromSeconds(30));
        var end = await NewLineAsync(server, before, l => IsEnd(l) && l.Contains("command=connect", StringComparison.Ordinal), "the session's end line");
        Assert.Contains($"protection={level}", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreadable_keytab_stops_the_start_at_its_line()
    {
        var path = Path.Combine(realm.Directory, "bad-keytab.toml");
        await File.WriteAllTextAsync(path, "[server]\nlisten = [\"127.0.0.1:0\"]\n\n[gssapi]\nkeytab = \"missing.keytab\"\n", TestContext.Current.CancellationToken);
        var result = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "serve", "--config", path], timeout: Timeouts.Start);

        Assert.Equal(2, result.ExitCode);
        Assert.True(result.StderrMentions("bad-keytab.toml:5:1") && result.StderrMentions("cannot read the keytab"), result.Describe());
    }

    private static bool IsEnd(string line) => line.Contains(" end ", StringComparison.Ordinal);

    private static async Task<string> NewLineAsync(WindsockProcess server, int before, Func<string, bool> predicate, string description)
    {
        await server.WaitUntilAsync(lines => lines.Skip(before).Any(predicate), Timeouts.LogLine, description);
        return server.StdoutLines.Skip(before).First(predicate);
    }
}

/// <summary>
/// An expired ticket, in a realm of its own whose clock skew is one second (MIT accepts tickets up to the
/// skew past their end, five minutes by default, at the KDC and at the server alike).
/// </summary>
[Trait("Needs", "windsock-serve")]
[Trait("Needs", "kerberos")]
public sealed class GssapiExpiryTests
{
    [Fact]
    public async Task An_expired_ticket_is_refused_by_the_client_library_and_the_server_logs_the_abort()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var realm = await KerberosRealm.StartAsync(TimeSpan.FromSeconds(1), ct);
        using var dir = new TempDirectory();
        await realm.AddUserAsync("alice", GssapiRealmFixture.Password, ct);
        var keytab = await realm.AddServiceAsync("rcmd", ct);
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, $"[gssapi]\nkeytab = \"{keytab}\"\n", ct);
        var env = new Dictionary<string, string>(realm.Environment) { ["KRB5CCNAME"] = "FILE:" + Path.Combine(dir.Path, "none") };
        await using var server = await WindsockProcess.StartAsync(["--config", config, "--listen", "127.0.0.1:0"], hostsFile: null, env);

        var cache = await realm.KinitAsync("alice", GssapiRealmFixture.Password, lifetime: "3s", cancellationToken: ct);
        var clientEnv = new Dictionary<string, string>(realm.Environment) { ["KRB5CCNAME"] = cache };

        // kvno asks the KDC for the proxy's ticket with the cached TGT; it fails once the TGT is past its end
        // and the skew. Poll that event, bounded, rather than sleep for a guessed time.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await ProcessRunner.RunAsync("/usr/bin/kvno", ["rcmd/localhost"], environment: clientEnv)).ExitCode == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the 3 s ticket did not expire within 30 s");
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }

        int before = server.StdoutLines.Count;
        var result = await ProcessRunner.RunAsync(Tools.Python,
            [Path.Combine(Tools.PythonDirectory, "gssapi_socks.py"), "--proxy", Clients.HostPort(server.IPv4)],
            environment: clientEnv);

        Assert.Equal(4, result.ExitCode);
        Assert.True(result.StderrMentions("expired"), result.Describe());
        await server.WaitUntilAsync(lines => lines.Skip(before).Any(l => l.Contains("client aborted the context establishment", StringComparison.Ordinal)),
            Timeouts.LogLine, "the client's abort in the log");
    }
}
