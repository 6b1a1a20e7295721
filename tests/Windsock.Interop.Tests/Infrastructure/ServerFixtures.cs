using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>`windsock serve` with the embedded default: loopback clients, no authentication.</summary>
public sealed class OpenServerFixture : IAsyncLifetime
{
    private WindsockProcess? _server;

    public WindsockProcess Server => _server ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() =>
        _server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0", "--listen", "[::1]:0");

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>
/// `windsock serve --users FILE` where FILE was made by `windsock passwd`: RFC 1929 is required
/// and SOCKS4 is refused.
/// </summary>
public sealed class AuthServerFixture : IAsyncLifetime
{
    public const string User = "alice";
    public const string Password = "s3cret-Horse-1929";
    public const string WrongPassword = "wr0ng-Battery-1929";

    private readonly TempDirectory _dir = new();
    private WindsockProcess? _server;

    public WindsockProcess Server => _server ?? throw new InvalidOperationException("not started");

    public string UsersFile => Path.Combine(_dir.Path, "users");

    public async ValueTask InitializeAsync()
    {
        await Passwd.AddUserAsync(UsersFile, User, Password);
        _server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0", "--users", UsersFile);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _dir.Dispose();
    }
}

/// <summary>The user file is only ever made by the product's own command.</summary>
public static class Passwd
{
    /// <summary>`windsock passwd FILE USER --password-stdin` with the password on stdin.</summary>
    public static async Task<ProcessResult> RunAsync(string usersFile, string user, string password) =>
        await ProcessRunner.RunAsync(Tools.Dotnet,
            [Tools.WindsockDll, "passwd", usersFile, user, "--password-stdin"],
            stdin: System.Text.Encoding.UTF8.GetBytes(password + "\n"),
            timeout: Timeouts.Start);

    public static async Task AddUserAsync(string usersFile, string user, string password)
    {
        var result = await RunAsync(usersFile, user, password);
        if (result.ExitCode != 0 || !File.Exists(usersFile))
        {
            throw new InvalidOperationException($"windsock passwd did not make {usersFile}\n{result.Describe()}");
        }
    }
}
