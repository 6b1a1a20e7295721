using System.Globalization;
using System.Text;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The syscall engine (seccomp user notification): programs a preload cannot reach, in the same
/// leak-proof setting as the preload tests. Their names reach windsock as their own DNS queries to
/// port 53 (the client side's resolv.conf names its empty loopback), answered from the mapped range.
/// </summary>
public sealed partial class RunTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_Go_program_fetches_the_site_by_name_through_the_proxy(bool cgo)
    {
        int size = cgo ? 50_021 : 50_023;
        string program = await fixture.GoFetchAsync(cgo);
        ProcessResult go = await fixture.WindsockRunAsync(["--explain", "--proxy", fixture.Proxy, "--", program, fixture.SiteUrl(size)]);

        Assert.True(go.ExitCode == 0 && go.StdoutText.Trim() == $"{size} {RunFixture.PatternSha256(size)}",
            $"want '{size} {RunFixture.PatternSha256(size)}'\n{go.Describe()}\n{fixture.Server.Transcript()}");
        Assert.True(go.StderrMentions("windsock run: engine syscall (") && go.StderrMentions("is a Go program"), go.Describe());
        await ExpectProxiedAsync(size, count: 1);
    }

    [Fact]
    public async Task Busybox_static_wget_fetches_the_site_by_name_through_the_proxy()
    {
        const int Size = 60_013;
        ProcessResult wget = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Tools.Busybox, "wget", "-q", "-O", "-", fixture.SiteUrl(Size)]);

        Assert.True(wget.ExitCode == 0 && wget.Stdout.AsSpan().SequenceEqual(RunFixture.Pattern(Size)),
            $"busybox wget did not get the site's {Size} bytes\n{wget.Describe()}\n{fixture.Server.Transcript()}");
        await ExpectProxiedAsync(Size, count: 1);
    }

    [Fact]
    public async Task Busybox_static_nc_gets_the_site_through_the_proxy()
    {
        const int Size = 60_017;
        byte[] request = Encoding.ASCII.GetBytes($"GET /bytes/{Size} HTTP/1.0\r\nHost: {RunFixture.SiteName}\r\n\r\n");
        ProcessResult nc = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Tools.Busybox, "nc", RunFixture.SiteName, fixture.SitePort.ToString(CultureInfo.InvariantCulture)], request);

        int headerEnd = nc.Stdout.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(headerEnd > 0 && nc.Stdout.AsSpan(headerEnd + 4).SequenceEqual(RunFixture.Pattern(Size)),
            $"busybox nc did not get the site's {Size} bytes\n{nc.Describe()}");
        await ExpectProxiedAsync(Size, count: 1);
    }

    [Fact]
    public async Task The_syscall_engine_alone_carries_a_dynamically_linked_curl()
    {
        const int Size = 70_001;
        ProcessResult curl = await fixture.WindsockRunAsync(["--engine", "syscall", "--explain", "--proxy", fixture.Proxy, "--", Tools.Curl, "-sS", fixture.SiteUrl(Size)]);

        Assert.True(curl.ExitCode == 0 && curl.Stdout.AsSpan().SequenceEqual(RunFixture.Pattern(Size)),
            $"curl under --engine syscall did not get the site's {Size} bytes\n{curl.Describe()}\n{fixture.Server.Transcript()}");
        Assert.True(curl.StderrMentions($"DNS query A {RunFixture.SiteName}: mapped to 198.18."), curl.Describe());
        await ExpectProxiedAsync(Size, count: 1);
    }

    [Fact]
    public async Task A_server_denial_reaches_a_Go_program_as_EACCES_with_the_servers_reason()
    {
        string program = await fixture.GoFetchAsync(cgo: false);
        string url = string.Create(CultureInfo.InvariantCulture, $"http://{RunFixture.ForbiddenName}:{fixture.SitePort}/bytes/1");
        ProcessResult go = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", program, url]);

        Assert.True(go.ExitCode == 1 && go.StdoutText.Contains("permission denied", StringComparison.Ordinal), go.Describe());
        Assert.Contains(
            $"windsock: connect to {RunFixture.ForbiddenName}:{fixture.SitePort} denied by proxy {fixture.Proxy} ({RunFixture.ServerReason}; reply 2, connection not allowed by ruleset)",
            go.Stderr, StringComparison.Ordinal);
    }
}
