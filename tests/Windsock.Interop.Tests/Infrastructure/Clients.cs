using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>Third-party clients, driven the way a person would from a shell.</summary>
public static class Clients
{
    /// <summary>`curl -sS -o - PROXYARGS URL`: the body lands in <see cref="ProcessResult.Stdout"/>.</summary>
    public static Task<ProcessResult> CurlAsync(string url, params string[] proxyArgs) =>
        ProcessRunner.RunAsync(Tools.Curl,
            ["-sS", "--connect-timeout", "30", "--max-time", "80", "-o", "-", .. proxyArgs, url]);

    /// <summary>"127.0.0.1:1080" or "[::1]:1080", as curl and ncat take a proxy.</summary>
    public static string HostPort(IPEndPoint endpoint) => endpoint.ToString();

    /// <summary>
    /// PySocks (Debian's python3-socks) fetches "/" from the target over a raw socksocket and
    /// prints the status line, then "LENGTH SHA256" of the body.
    /// </summary>
    public static Task<ProcessResult> PySocksGetAsync(
        int socksVersion, IPEndPoint proxy, string targetHost, int targetPort, bool rdns, string? user = null, string? password = null) =>
        ProcessRunner.RunAsync(Tools.Python,
        [
            "-c", PySocksScript,
            socksVersion.ToString(CultureInfo.InvariantCulture),
            proxy.Address.ToString(), proxy.Port.ToString(CultureInfo.InvariantCulture),
            targetHost, targetPort.ToString(CultureInfo.InvariantCulture),
            rdns ? "1" : "0", user ?? "", password ?? "",
        ]);

    private const string PySocksScript = """
        import hashlib, socket, sys
        import socks
        version, phost, pport, thost, tport, rdns, user, password = sys.argv[1:]
        s = socks.socksocket(socket.AF_INET6 if ":" in phost else socket.AF_INET)
        s.set_proxy(socks.SOCKS4 if version == "4" else socks.SOCKS5, phost, int(pport),
                    rdns=rdns == "1", username=user or None, password=password or None)
        s.settimeout(60)
        s.connect((thost, int(tport)))
        s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % thost).encode())
        data = bytearray()
        for _ in range(1_000_000):
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, body = bytes(data).partition(b"\r\n\r\n")
        print(head.split(b"\r\n")[0].decode())
        print(len(body), hashlib.sha256(body).hexdigest())
        """;

    /// <summary>`ncat --proxy P --proxy-type T [EXTRA] HOST PORT` with <paramref name="payload"/> on stdin.</summary>
    public static Task<ProcessResult> NcatAsync(IPEndPoint proxy, string proxyType, string host, int port, byte[] payload, params string[] extra) =>
        ProcessRunner.RunAsync(Tools.Ncat,
            ["--proxy", HostPort(proxy), "--proxy-type", proxyType, .. extra, host, port.ToString(CultureInfo.InvariantCulture)],
            stdin: payload);

    /// <summary>Bytes that are the same every run and unlike any protocol header.</summary>
    public static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}

/// <summary>Assertions that explain themselves with the client's and the server's output.</summary>
public static class Expect
{
    public static void Success(ProcessResult client, WindsockProcess server) =>
        Assert.True(client.ExitCode == 0 && !client.TimedOut, $"client failed\n{client.Describe()}\n{server.Transcript()}");

    /// <summary>curl's stdout is exactly the target's body.</summary>
    public static void Body(ProcessResult curl, LoopbackHttpServer http, WindsockProcess server)
    {
        Success(curl, server);
        Assert.True(curl.Stdout.Length == http.Body.Length && Clients.Sha256(curl.Stdout) == http.BodySha256,
            $"body differs: got {curl.Stdout.Length} bytes sha256 {Clients.Sha256(curl.Stdout)}, "
            + $"want {http.Body.Length} bytes sha256 {http.BodySha256}\n{curl.Describe()}\n{server.Transcript()}");
    }

    /// <summary>The PySocks script printed "HTTP/1.1 200 OK" and the body's length and hash.</summary>
    public static void PySocksBody(ProcessResult python, LoopbackHttpServer http, WindsockProcess server)
    {
        Success(python, server);
        var lines = python.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines is [var status, var digest] && status.StartsWith("HTTP/1.1 200", StringComparison.Ordinal)
                && digest == $"{http.Body.Length} {http.BodySha256}",
            $"unexpected PySocks output, want '{http.Body.Length} {http.BodySha256}'\n{python.Describe()}\n{server.Transcript()}");
    }

    /// <summary>What came back through the echo server is what went in.</summary>
    public static void Echoed(ProcessResult client, byte[] payload, WindsockProcess server)
    {
        Success(client, server);
        Assert.True(client.Stdout.AsSpan().SequenceEqual(payload),
            $"echo differs: sent {payload.Length} bytes sha256 {Clients.Sha256(payload)}, "
            + $"got {client.Stdout.Length} bytes sha256 {Clients.Sha256(client.Stdout)}\n{client.Describe()}\n{server.Transcript()}");
    }

    /// <summary>The client failed (non-zero exit, not a hang) and received no body.</summary>
    public static void Refused(ProcessResult client, WindsockProcess server)
    {
        Assert.False(client.TimedOut, $"client hung instead of failing\n{client.Describe()}\n{server.Transcript()}");
        Assert.True(client.ExitCode != 0, $"client should have failed\n{client.Describe()}\n{server.Transcript()}");
    }
}
