using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;

namespace Windsock.Client;

/// <summary>Reply codes in words, for messages a person can act on without the RFC at hand.</summary>
internal static class ReplyText
{
    public static string Socks5(byte code) => (Socks5ReplyCode)code switch
    {
        Socks5ReplyCode.Succeeded => "succeeded",
        Socks5ReplyCode.GeneralFailure => "general SOCKS server failure",
        Socks5ReplyCode.NotAllowedByRuleset => "connection not allowed by ruleset",
        Socks5ReplyCode.NetworkUnreachable => "network unreachable",
        Socks5ReplyCode.HostUnreachable => "host unreachable",
        Socks5ReplyCode.ConnectionRefused => "connection refused",
        Socks5ReplyCode.TtlExpired => "TTL expired",
        Socks5ReplyCode.CommandNotSupported => "command not supported",
        Socks5ReplyCode.AddressTypeNotSupported => "address type not supported",
        _ => "unassigned reply code",
    };

    public static string Socks4(byte code) => (Socks4ReplyCode)code switch
    {
        Socks4ReplyCode.Granted => "request granted",
        Socks4ReplyCode.RejectedOrFailed => "request rejected or failed",
        Socks4ReplyCode.IdentUnreachable => "rejected: the proxy could not reach this client's identd",
        Socks4ReplyCode.IdentMismatch => "rejected: identd reported a different user than the user id",
        _ => "unknown SOCKS4 reply code",
    };

    public const string AuthenticationRejected = "user name or password rejected";

    public const string NoAcceptableMethods = "no acceptable authentication method";
}
