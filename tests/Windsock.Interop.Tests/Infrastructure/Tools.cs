namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>Where the programs under test live. test.sh installs the Debian packages.</summary>
public static class Tools
{
    /// <summary>The `windsock` command built next to this assembly (project reference to Windsock.Cli).</summary>
    public static string WindsockDll { get; } = Path.Combine(AppContext.BaseDirectory, "windsock.dll");

    /// <summary>The muxer that runs windsock.dll: the one running `dotnet test` when it tells us.</summary>
    public static string Dotnet { get; } = FirstExisting(
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
        "/usr/bin/dotnet",
        "/usr/share/dotnet/dotnet",
        "/usr/lib/dotnet/dotnet") ?? "dotnet";

    public const string Curl = "/usr/bin/curl";
    public const string Ncat = "/usr/bin/ncat";

    /// <summary>Debian's python3, which has python3-socks; a pyenv python3 on PATH may not.</summary>
    public const string Python = "/usr/bin/python3";

    public const string Unshare = "/usr/bin/unshare";

    /// <summary>Debian's HAProxy, the TCP balancer of the fleet test.</summary>
    public const string Haproxy = "/usr/sbin/haproxy";

    /// <summary>Debian's golang-go, to build the Go programs of the windsock run tests.</summary>
    public const string Go = "/usr/bin/go";

    /// <summary>Debian's busybox-static: a statically linked wget and nc.</summary>
    public const string Busybox = "/bin/busybox";

    /// <summary>iproute2's ip, for the network namespaces the windsock run tests make.</summary>
    public const string Ip = "/sbin/ip";

    /// <summary>Debian's node (nodejs), which runs the 'socks' package installed by test.sh.</summary>
    public const string Node = "/usr/bin/node";

    /// <summary>Dante's LD_PRELOAD wrapper (Debian's dante-client): runs a program with its sockets through SOCKS.</summary>
    public const string Socksify = "/usr/bin/socksify";

    /// <summary>A command-line FTP client (Debian's ftp, today tnftp).</summary>
    public const string Ftp = "/usr/bin/ftp";

    /// <summary>tests/Windsock.Interop.Tests/node in the source tree: scripts and the node_modules test.sh installs.</summary>
    public static string NodeDirectory { get; } = Path.Combine(RepositoryRoot(), "tests", "Windsock.Interop.Tests", "node");

    /// <summary>tests/Windsock.Interop.Tests/python in the source tree: independent clients written from the RFCs.</summary>
    public static string PythonDirectory { get; } = Path.Combine(RepositoryRoot(), "tests", "Windsock.Interop.Tests", "python");

    /// <summary>python/rfc1961_proxy.py: an independent RFC 1961 proxy on python-gssapi, for the client tools.</summary>
    public static string GssapiProxyScript { get; } = Path.Combine(PythonDirectory, "rfc1961_proxy.py");

    /// <summary>The source tree this test assembly was built from (where Windsock.slnx is).</summary>
    public static string SourceRoot { get; } = RepositoryRoot();

    private static string RepositoryRoot()
    {
        // Bounded by the depth of the path: each pass goes one folder up.
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Windsock.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Windsock.slnx above {AppContext.BaseDirectory}");
    }

    private static string? FirstExisting(params string?[] candidates) =>
        candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c));
}
