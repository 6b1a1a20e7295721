using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// `windsock serve` with only <c>[auth] pam_service</c>: every login is checked by the host's PAM
/// stack (Debian's "other" service, since the name has no file in /etc/pam.d). Not started where
/// <see cref="SystemAccount.SkipReason"/> says the PAM tests cannot run.
/// </summary>
public sealed class PamServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private WindsockProcess? _server;

    /// <summary>The server; skips the calling test where PAM tests cannot run.</summary>
    public WindsockProcess Server
    {
        get
        {
            SystemAccount.SkipUnlessPossible();
            return _server ?? throw new InvalidOperationException("not started");
        }
    }

    public async ValueTask InitializeAsync()
    {
        if (SystemAccount.SkipReason is not null)
        {
            return;
        }

        string config = Path.Combine(_dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, $"[server]\nlisten = [\"127.0.0.1:0\"]\n\n[auth]\npam_service = \"{SystemAccount.ServiceWithoutFile}\"\n");
        _server = await WindsockProcess.StartAsync("--config", config);
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

/// <summary>
/// `windsock serve` with <c>users_file</c> and <c>pam_service</c>. <see cref="Shadowed"/> is a
/// system account that the users file also lists, with <see cref="FilePassword"/>: the file
/// alone decides it.
/// </summary>
public sealed class PamAndUsersFileServerFixture : IAsyncLifetime
{
    public const string FilePassword = "file-Horse-1929";

    private readonly TempDirectory _dir = new();
    private WindsockProcess? _server;
    private SystemAccount? _shadowed;

    public WindsockProcess Server
    {
        get
        {
            SystemAccount.SkipUnlessPossible();
            return _server ?? throw new InvalidOperationException("not started");
        }
    }

    public SystemAccount Shadowed => _shadowed ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        if (SystemAccount.SkipReason is not null)
        {
            return;
        }

        _shadowed = await SystemAccount.CreateAsync();
        string users = Path.Combine(_dir.Path, "users");
        await Passwd.AddUserAsync(users, _shadowed.Name, FilePassword);
        string config = Path.Combine(_dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, $"[server]\nlisten = [\"127.0.0.1:0\"]\n\n[auth]\nusers_file = \"users\"\npam_service = \"{SystemAccount.ServiceWithoutFile}\"\n");
        _server = await WindsockProcess.StartAsync("--config", config);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
        finally
        {
            if (_shadowed is not null)
            {
                await _shadowed.DisposeAsync();
            }

            _dir.Dispose();
        }
    }
}
