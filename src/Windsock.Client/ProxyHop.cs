using System.Globalization;
using System.Net;
using Windsock.Protocol;
using System.Net.Security;
using Windsock.Client.Gssapi;

namespace Windsock.Client;

/// <summary>One SOCKS proxy: where it is, which protocol it speaks, and how to authenticate to it.</summary>
public sealed class ProxyHop
{
    private readonly string? _userId;
    private readonly SocksGssapiOptions? _gssapi;

    /// <summary>A hop at <paramref name="host"/>: an IP address, or a name that the previous hop resolves when it resolves names, otherwise resolved here.</summary>
    /// <param name="host">An IP address literal (IPv6 without brackets) or a host name.</param>
    /// <param name="port">The proxy's TCP port, 0 to 65535.</param>
    /// <param name="protocol">The protocol it speaks; SOCKS5 by default.</param>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> or <paramref name="protocol"/> is out of range.</exception>
    public ProxyHop(string host, int port, SocksProtocol protocol = SocksProtocol.Socks5)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        if (!Enum.IsDefined(protocol))
        {
            throw new ArgumentOutOfRangeException(nameof(protocol));
        }

        Address = IPAddress.TryParse(host, out var address) ? address : null;
        Host = Address?.ToString() ?? host;
        Port = port;
        Protocol = protocol;
    }

    /// <summary>A hop at <paramref name="endPoint"/>.</summary>
    /// <param name="endPoint">The proxy's address and port.</param>
    /// <param name="protocol">The protocol it speaks; SOCKS5 by default.</param>
    /// <exception cref="ArgumentNullException"><paramref name="endPoint"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="protocol"/> is not defined.</exception>
    public ProxyHop(IPEndPoint endPoint, SocksProtocol protocol = SocksProtocol.Socks5)
        : this(endPoint?.Address.ToString() ?? throw new ArgumentNullException(nameof(endPoint)), endPoint.Port, protocol)
    {
    }

    /// <summary>The proxy's host: an address as text (IPv6 without brackets), or a name.</summary>
    public string Host { get; }

    /// <summary>The proxy's TCP port.</summary>
    public int Port { get; }

    /// <summary>The protocol the proxy speaks.</summary>
    public SocksProtocol Protocol { get; }

    /// <summary>Username/password for SOCKS5. When set, the greeting offers both username/password and none,
    /// so a proxy that asks for no authentication still works.</summary>
    public SocksCredentials? Credentials { get; init; }

    /// <summary>
    /// GSSAPI (RFC 1961) for this SOCKS5 hop: offered first, before username/password and no
    /// authentication. When it requires integrity or confidentiality, GSSAPI is the only method offered
    /// (the others would give no protection) and the connection is a <see cref="GssapiStream"/>.
    /// </summary>
    public SocksGssapiOptions? Gssapi
    {
        get => _gssapi;
        init => _gssapi = value is null || Protocol == SocksProtocol.Socks5
            ? value
            : throw new ArgumentException($"GSSAPI is a SOCKS5 method; this hop speaks {Protocol}.", nameof(value));
    }

    /// <summary>The SOCKS4 USERID. Defaults to the user name of <see cref="Credentials"/>, else empty.</summary>
    public string? UserId
    {
        get => _userId;
        init
        {
            if (value is not null && (value.Length > SocksLimits.MaxUserIdLength || !value.All(c => c is >= (char)0x20 and <= (char)0x7E)))
            {
                throw new ArgumentException("A SOCKS4 user id is at most 255 printable ASCII characters.", nameof(value));
            }

            _userId = value;
        }
    }

    /// <summary>Who resolves destination names given to this hop. SOCKS4 always resolves locally.</summary>
    public NameResolution Resolution { get; init; } = NameResolution.Proxy;

    /// <summary>The host as an address when it is one; null for a name.</summary>
    internal IPAddress? Address { get; }

    /// <summary>True when this hop wraps every byte after its handshake (GSSAPI integrity or confidentiality).</summary>
    internal bool Protects => _gssapi?.Protects == true;

    internal bool ResolvesNamesAtProxy => Protocol != SocksProtocol.Socks4 && Resolution == NameResolution.Proxy;

    internal string Socks4UserId
    {
        get
        {
            if (_userId is not null)
            {
                return _userId;
            }

            // A user name that SOCKS4 cannot carry is simply not sent: it is only a hint there.
            var name = Credentials?.UserName;
            return name is not null && name.Length <= SocksLimits.MaxUserIdLength && name.All(c => c is >= (char)0x20 and <= (char)0x7E) ? name : "";
        }
    }

    /// <summary>
    /// A hop from a proxy URI as curl and ALL_PROXY write them: <c>socks4://</c>, <c>socks4a://</c>,
    /// <c>socks5://</c> (names resolved here) and <c>socks5h://</c> (names resolved by the proxy), with an
    /// optional percent-encoded <c>user:password@</c>. The port defaults to 1080. Windsock's own query
    /// asks for GSSAPI on a SOCKS5 hop: <c>?gssapi</c> (confidentiality required), <c>?gssapi=clear</c>,
    /// <c>?gssapi=integrity</c>, with <c>&amp;gssapi-service=NAME</c> for a service other than rcmd.
    /// </summary>
    /// <param name="uri">An absolute SOCKS proxy URI.</param>
    /// <returns>The hop the URI describes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="uri"/> is null.</exception>
    /// <exception cref="ArgumentException">The URI is relative, not a SOCKS scheme, or has bad user info or query parameters.</exception>
    public static ProxyHop FromUri(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException("A proxy URI must be absolute, e.g. socks5h://127.0.0.1:1080.", nameof(uri));
        }

        (SocksProtocol protocol, NameResolution resolution) = uri.Scheme.ToUpperInvariant() switch
        {
            "SOCKS4" => (SocksProtocol.Socks4, NameResolution.Local),
            "SOCKS4A" => (SocksProtocol.Socks4a, NameResolution.Proxy),
            "SOCKS5" => (SocksProtocol.Socks5, NameResolution.Local),
            "SOCKS5H" or "SOCKS" => (SocksProtocol.Socks5, NameResolution.Proxy),
            _ => throw new ArgumentException($"'{uri.Scheme}' is not a SOCKS scheme (socks4, socks4a, socks5, socks5h).", nameof(uri)),
        };

        SocksCredentials? credentials = null;
        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            credentials = colon < 0
                ? throw new ArgumentException("Proxy URI user info must be user:password.", nameof(uri))
                : new SocksCredentials(Uri.UnescapeDataString(uri.UserInfo[..colon]), Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]));
        }

        int port = uri.IsDefaultPort || uri.Port < 0 ? 1080 : uri.Port;
        return new ProxyHop(uri.IdnHost, port, protocol)
        {
            Gssapi = ReadGssapiQuery(uri, protocol),
            Credentials = credentials,
            Resolution = resolution,
            UserId = protocol == SocksProtocol.Socks5 ? null : credentials?.UserName,
        };
    }

    /// <summary>This hop with <paramref name="credentials"/> (found outside its URL), everything else the same.</summary>
    internal ProxyHop WithCredentials(SocksCredentials credentials) => new(Host, Port, Protocol)
    {
        Credentials = credentials,
        Resolution = Resolution,
        Gssapi = Gssapi,
        UserId = Protocol == SocksProtocol.Socks5 ? null : credentials.UserName,
    };

    private static SocksGssapiOptions? ReadGssapiQuery(Uri uri, SocksProtocol protocol)
    {
        string query = uri.Query.TrimStart('?');
        if (query.Length == 0)
        {
            return null;
        }

        ProtectionLevel? protection = null;
        string? service = null;
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            string? value = equals < 0 ? null : Uri.UnescapeDataString(pair[(equals + 1)..]);
            switch (key)
            {
                case "gssapi":
                    protection = value switch
                    {
                        null or "" or "confidentiality" => ProtectionLevel.EncryptAndSign,
                        "integrity" => ProtectionLevel.Sign,
                        "clear" => ProtectionLevel.None,
                        _ => throw new ArgumentException($"gssapi={value}: the protection is clear, integrity or confidentiality.", nameof(uri)),
                    };
                    break;
                case "gssapi-service" when !string.IsNullOrWhiteSpace(value) && !value.Contains('/', StringComparison.Ordinal):
                    service = value;
                    break;
                case "gssapi-service":
                    throw new ArgumentException("gssapi-service=NAME needs a service name without '/', e.g. rcmd.", nameof(uri));
                default:
                    throw new ArgumentException($"Unknown proxy URI parameter '{key}'; the parameters are gssapi and gssapi-service (and password-file in a routing file or ALL_PROXY).", nameof(uri));
            }
        }

        if (protection is null)
        {
            throw new ArgumentException("gssapi-service needs gssapi as well, e.g. ?gssapi&gssapi-service=socks.", nameof(uri));
        }

        if (protocol != SocksProtocol.Socks5)
        {
            throw new ArgumentException("gssapi is a SOCKS5 method; use a socks5:// or socks5h:// URI.", nameof(uri));
        }

        return new SocksGssapiOptions { Protection = protection.Value, ServiceName = service ?? "rcmd" };
    }

    /// <summary>scheme://host:port, without credentials, as error messages show it (with <c>?gssapi=LEVEL</c> for a GSSAPI hop).</summary>
    /// <returns>E.g. <c>socks5h://proxy.example:1080</c>.</returns>
    public override string ToString()
    {
        string scheme = Protocol switch
        {
            SocksProtocol.Socks4 => "socks4",
            SocksProtocol.Socks4a => "socks4a",
            _ => Resolution == NameResolution.Proxy ? "socks5h" : "socks5",
        };
        string host = Address?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Host}]" : Host;
        string gssapi = _gssapi is null ? "" : $"?gssapi={GssapiLevels.Name(_gssapi.Protection)}";
        return string.Create(CultureInfo.InvariantCulture, $"{scheme}://{host}:{Port}{gssapi}");
    }
}
