using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Windsock.Server.Metrics;

namespace Windsock.Server.Admin;

/// <summary>
/// What the admin listener answers, free of sockets: the routes, the token check and the DNS-rebinding guard.
/// <list type="bullet">
/// <item><c>GET /metrics</c>: Prometheus text exposition.</item>
/// <item><c>GET /api/sessions?user=&amp;client=&amp;command=&amp;destination=&amp;rule=</c>: the open sessions as JSON.</item>
/// <item><c>DELETE /api/sessions/ID</c>: ends a session (a method a web page cannot send to another site without its consent).</item>
/// <item><c>GET /api/status</c>: totals, denials, top users as JSON; <c>GET /</c>: the same as a page.</item>
/// </list>
/// With a token every request must carry it (<c>Authorization: Bearer TOKEN</c>, or Basic with the token as
/// password, which browsers ask for). Without one the listener is loopback or a unix socket (the configuration
/// refuses anything else), and a TCP request must name an address as its Host: a web page whose name an attacker
/// points at 127.0.0.1 (DNS rebinding) sends its own name and is refused.
/// </summary>
public sealed class AdminApi
{
    private static readonly KeyValuePair<string, string>[] Challenges =
    [
        new("WWW-Authenticate", "Bearer realm=\"windsock\""),
        new("WWW-Authenticate", "Basic realm=\"windsock\", charset=\"UTF-8\""),
    ];

    private readonly ServerMetrics _metrics;
    private readonly MetricsCollector _collector;
    // Replaced whole on a reload that re-reads the token file; each request reads it once.
    private volatile byte[]? _token;
    private readonly ILogger _logger;

    public AdminApi(ServerMetrics metrics, MetricsCollector collector, string? token, ILogger logger)
    {
        _metrics = metrics;
        _collector = collector;
        _token = token is null ? null : Encoding.UTF8.GetBytes(token);
        _logger = logger;
    }

    /// <summary>A reload read another token from the token file (null: the listener needs none any more).</summary>
    public void ReplaceToken(string? token) => _token = token is null ? null : Encoding.UTF8.GetBytes(token);

    /// <param name="request">The parsed request head.</param>
    /// <param name="overUnixSocket">The request came over the unix socket: its file mode decided who may connect, and Host means nothing.</param>
    /// <param name="peer">The client, for the log.</param>
    public AdminResponse Handle(HttpRequestHead request, bool overUnixSocket, string peer)
    {
        ArgumentNullException.ThrowIfNull(request);
        var token = _token;
        if (token is not null && !Authorized(request.Header("Authorization"), token))
        {
            AdminLog.Refused(_logger, peer, "no valid token");
            return AdminResponse.Error(401, "this admin listener needs its token: Authorization: Bearer TOKEN (windsock status --token-file FILE)", Challenges);
        }

        if (token is null && !overUnixSocket && !IsAddressHost(request.Header("Host")))
        {
            AdminLog.Refused(_logger, peer, $"Host \"{request.Header("Host")}\" is not an address");
            return AdminResponse.Error(421, "name the admin listener by its address (http://127.0.0.1:PORT/), not by a host name");
        }

        bool head = request.Method == "HEAD";
        string method = head ? "GET" : request.Method;
        string path = request.Path;
        if (path == "/api/sessions" || path.StartsWith("/api/sessions/", StringComparison.Ordinal))
        {
            return Sessions(method, path, request, peer);
        }

        return (path, method) switch
        {
            ("/metrics", "GET") => AdminResponse.Text(200, PrometheusText.ContentType, PrometheusText.Write(_collector.Collect())),
            ("/api/status", "GET") => new AdminResponse(200, AdminResponse.Json, StatusJson.Status(StatusSummary.From(_metrics, _metrics.Live.Snapshot()))),
            ("/", "GET") => Page(),
            ("/metrics" or "/api/status" or "/", _) => AdminResponse.Error(405, $"{path} answers GET only", [new("Allow", "GET, HEAD")]),
            _ => AdminResponse.Error(404, $"no such page {path}; the admin listener serves /, /metrics, /api/sessions and /api/status"),
        };
    }

    private AdminResponse Page()
    {
        var live = _metrics.Live.Snapshot();
        return AdminResponse.Text(200, AdminResponse.Html, StatusPage.Render(StatusSummary.From(_metrics, live), live, _metrics.Time.GetUtcNow()));
    }

    private AdminResponse Sessions(string method, string path, HttpRequestHead request, string peer)
    {
        if (path == "/api/sessions")
        {
            if (method != "GET")
            {
                return AdminResponse.Error(405, "/api/sessions answers GET; end a session with DELETE /api/sessions/ID", [new("Allow", "GET, HEAD")]);
            }

            if (!SessionFilter.TryParse(request.QueryParameters(), out var filter, out string? problem))
            {
                return AdminResponse.Error(400, problem!);
            }

            var matching = _metrics.Live.Snapshot().Where(s => filter.Matches(s.Record)).ToList();
            return new AdminResponse(200, AdminResponse.Json, StatusJson.Sessions(matching, _metrics.Time.GetUtcNow()));
        }

        string idText = path["/api/sessions/".Length..];
        if (!long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
        {
            return AdminResponse.Error(404, $"\"{idText}\" is not a session id");
        }

        if (method != "DELETE")
        {
            return AdminResponse.Error(405, $"end a session with DELETE {path}", [new("Allow", "DELETE")]);
        }

        if (_metrics.Live.Find(id) is not { } session)
        {
            return AdminResponse.Error(404, $"no open session {id}");
        }

        if (session.End())
        {
            AdminLog.SessionEnded(_logger, id, peer);
        }

        return new AdminResponse(200, AdminResponse.Json, StatusJson.Ended(id));
    }

    private static bool Authorized(string? authorization, byte[] token)
    {
        if (authorization is null)
        {
            return false;
        }

        byte[]? presented = null;
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = Encoding.UTF8.GetBytes(authorization["Bearer ".Length..].Trim());
        }
        else if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                string pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
                int colon = pair.IndexOf(':', StringComparison.Ordinal);
                presented = colon < 0 ? null : Encoding.UTF8.GetBytes(pair[(colon + 1)..]);
            }
            catch (FormatException)
            {
                return false;
            }
        }

        return presented is not null && CryptographicOperations.FixedTimeEquals(presented, token);
    }

    /// <summary>"127.0.0.1:9180", "[::1]:9180", "localhost:9180": a name no attacker's DNS decides.</summary>
    public static bool IsAddressHost(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }

        string name = host;
        if (name.StartsWith('['))
        {
            int close = name.IndexOf(']', StringComparison.Ordinal);
            return close > 0 && IPAddress.TryParse(name[1..close], out _);
        }

        int colon = name.LastIndexOf(':');
        if (colon >= 0)
        {
            name = name[..colon];
        }

        return string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(name, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
    }
}
