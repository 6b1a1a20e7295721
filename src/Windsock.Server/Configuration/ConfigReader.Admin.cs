using System.Net;
using System.Text;
using Tomlyn.Syntax;

namespace Windsock.Server.Configuration;

/// <summary>The <c>[admin]</c> section (docs/operations.md): where the admin listener listens and its token file.</summary>
internal sealed partial class ConfigReader
{
    // sun_path is 108 bytes with the terminating NUL.
    private const int MaxSocketPathBytes = 107;

    private SyntaxNode? _adminListenNode;
    private SyntaxNode? _adminTokenNode;

    internal ServerOptions? ApplyAdmin(ServerOptions options, string name, TomlEntry entry)
    {
        string key = $"{ConfigSchema.Admin}.{name}";
        ValueSyntax value = entry.Value;
        AdminOptions current = options.Admin ?? new AdminOptions();
        switch (name)
        {
            case "listen":
                _adminListenNode = value;
                AdminOptions? listen = ReadAdminListen(key, value, current);
                return listen is null ? null : options with { Admin = listen };

            case "token_file":
                _adminTokenNode = value;
                string? token = ReadAdminFilePath(key, value, "/etc/windsock/admin-token", "name the file holding the admin token, or remove the line on a loopback or unix socket listener");
                return token is null ? null : options with { Admin = current with { TokenFile = token } };

            default:
                throw new InvalidOperationException($"configuration key {key} has no reader");
        }
    }

    /// <summary>The checks that need the whole section: a listener off loopback needs a token, and the token must be private.</summary>
    public ServerOptions FinishAdmin(ServerOptions options)
    {
        if (options.Admin is not { } admin)
        {
            return options;
        }

        if (admin.EndPoint is null && admin.SocketPath is null)
        {
            Problem(_adminTokenNode!, "[admin] has a token_file but no listen address, so the admin listener stays off",
                "add listen = \"127.0.0.1:9180\" (or a unix socket path such as \"/run/windsock/admin.sock\") under [admin], or remove the section");
            return options;
        }

        if (!admin.IsLocal && admin.TokenFile is null)
        {
            Problem(_adminListenNode!, $"admin.listen \"{admin.Describe()}\" is not a loopback address, and without a token anyone who reaches it could list who uses the proxy and end their sessions",
                "set token_file = \"/etc/windsock/admin-token\" under [admin] (a random line, chmod 600), or listen on \"127.0.0.1:9180\" or a unix socket path");
        }

        if (admin.TokenFile is { } tokenFile && _adminTokenNode is not null)
        {
            if (!File.Exists(tokenFile))
            {
                Problem(_adminTokenNode, $"admin.token_file {tokenFile} does not exist", $"create it: head -c 24 /dev/urandom | base64 > {tokenFile}; chmod 600 {tokenFile}");
            }
            else if (AdminTokenFile.ModeProblem(tokenFile) is { } problem)
            {
                Problem(_adminTokenNode, $"admin.token_file {tokenFile} {problem}", $"chmod 600 {tokenFile}");
            }
        }

        return options;
    }

    private AdminOptions? ReadAdminListen(string key, ValueSyntax value, AdminOptions current)
    {
        if (value is not StringValueSyntax text)
        {
            WrongType(key, value, "an ADDRESS:PORT or a unix socket path in quotes, e.g. \"127.0.0.1:9180\" or \"/run/windsock/admin.sock\"");
            return null;
        }

        string listen = text.Value ?? "";
        if (listen.StartsWith('/'))
        {
            if (Encoding.UTF8.GetByteCount(listen) > MaxSocketPathBytes || listen.Contains('\0', StringComparison.Ordinal) || listen.EndsWith('/'))
            {
                Problem(value, $"{key} \"{listen}\" is not a usable unix socket path", $"name a socket file of at most {MaxSocketPathBytes} bytes, e.g. \"/run/windsock/admin.sock\"");
                return null;
            }

            return current with { SocketPath = listen, EndPoint = null };
        }

        if (!EndpointSyntax.TryParse(listen, out IPEndPoint? endPoint, out ValueProblem problem))
        {
            Problem(value, problem with { Message = $"{key}: {problem.Message}", Fix = $"{problem.Fix}; or a unix socket path starting with /" });
            return null;
        }

        return current with { EndPoint = endPoint, SocketPath = null };
    }
}
