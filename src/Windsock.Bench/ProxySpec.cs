using System.Globalization;
using System.Net;

namespace Windsock.Bench;

/// <summary>
/// A proxy to benchmark: loopback address, protocol and optional credentials. Parsed from
/// <c>127.0.0.1:1080</c> (SOCKS5) or <c>socks5://user:pass@127.0.0.1:1080</c>, <c>socks5h://</c>,
/// <c>socks4://userid@...</c>, <c>socks4a://...</c>. Anything but a loopback address is refused
/// before a packet is sent; names are never resolved here.
/// </summary>
public sealed record ProxySpec(IPEndPoint EndPoint, ProxyProtocol Protocol, SocksCredentials? Credentials)
{
    public bool IsSocks4 => Protocol is ProxyProtocol.Socks4 or ProxyProtocol.Socks4a;

    /// <summary>Whether the destination goes by name (SOCKS4a, socks5h) rather than by address.</summary>
    public bool SendsName => Protocol is ProxyProtocol.Socks4a or ProxyProtocol.Socks5h;

    public static ProxySpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ProxyProtocol protocol = ProxyProtocol.Socks5;
        string rest = text;
        int scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            protocol = text[..scheme].ToUpperInvariant() switch
            {
                "SOCKS4" => ProxyProtocol.Socks4,
                "SOCKS4A" => ProxyProtocol.Socks4a,
                "SOCKS5" => ProxyProtocol.Socks5,
                "SOCKS5H" => ProxyProtocol.Socks5h,
                _ => throw new FormatException($"'{text}': the scheme must be socks4, socks4a, socks5 or socks5h"),
            };
            rest = text[(scheme + 3)..].TrimEnd('/');
        }

        SocksCredentials? credentials = null;
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            string userInfo = rest[..at];
            rest = rest[(at + 1)..];
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            string user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            string? password = colon < 0 ? null : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            credentials = MakeCredentials(protocol, user, password, text);
        }

        return new ProxySpec(ParseLoopbackEndPoint(rest), protocol, credentials);
    }

    /// <summary>The same proxy with credentials given apart (flags rather than the URL).</summary>
    public ProxySpec WithCredentials(string? user, string? password)
    {
        if (user is null && password is null)
        {
            return this;
        }

        if (Credentials is not null)
        {
            throw new FormatException("credentials are given twice: in --proxy and as --user/--password");
        }

        return this with { Credentials = MakeCredentials(Protocol, user ?? "", password, "--user/--password") };
    }

    private static SocksCredentials MakeCredentials(ProxyProtocol protocol, string user, string? password, string where)
    {
        bool socks4 = protocol is ProxyProtocol.Socks4 or ProxyProtocol.Socks4a;
        if (socks4)
        {
            if (password is not null)
            {
                throw new FormatException($"{where}: SOCKS4 has a user id but no password");
            }

            return new SocksCredentials(user, "");
        }

        if (password is null || user.Length == 0)
        {
            throw new FormatException($"{where}: SOCKS5 username/password needs both a user and a password");
        }

        return new SocksCredentials(user, password);
    }

    /// <summary>
    /// The benchmark only ever talks to this machine: anything but a loopback
    /// address is refused here, before a single packet is sent.
    /// </summary>
    public static IPEndPoint ParseLoopbackEndPoint(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!IPEndPoint.TryParse(text, out IPEndPoint? endPoint) || endPoint.Port == 0 || !text.Contains(':', StringComparison.Ordinal))
        {
            throw new FormatException($"'{text}' is not IP:PORT (names are not resolved)");
        }

        if (!IPAddress.IsLoopback(endPoint.Address))
        {
            throw new FormatException($"'{text}' is not a loopback address; the benchmark only targets this machine");
        }

        return endPoint;
    }

    public override string ToString()
    {
        string scheme = Protocol.ToString().ToLowerInvariant();
        string auth = Credentials is null ? "" : IsSocks4 ? Credentials.Username + "@" : Credentials.Username + ":***@";
        return string.Create(CultureInfo.InvariantCulture, $"{scheme}://{auth}{EndPoint}");
    }
}
