using System.Diagnostics.CodeAnalysis;
using Windsock.Protocol.Socks5;

namespace Windsock.Policy;

/// <summary>
/// The authentication methods a rule applies to: none, username (RFC 1929), gssapi (RFC 1961).
/// SOCKS4 requests count as "none": their USERID is a claim, not a proof.
/// </summary>
public sealed class AuthMethodSet
{
    private readonly AuthMethod[] _methods;

    public AuthMethodSet(IEnumerable<AuthMethod> methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        _methods = [.. methods.Distinct().Order()];
    }

    public static AuthMethodSet Of(params AuthMethod[] methods) => new(methods);

    public bool Contains(AuthMethod method) => _methods.Contains(method);

    public static bool TryParseName(string text, out AuthMethod method, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        switch (text)
        {
            case "none": method = AuthMethod.None; return true;
            case "username": method = AuthMethod.UsernamePassword; return true;
            case "gssapi": method = AuthMethod.Gssapi; return true;
            default:
                method = AuthMethod.None;
                error = $"\"{text}\" is not an authentication method; write \"none\", \"username\" or \"gssapi\"";
                return false;
        }
    }

    public static string Name(AuthMethod method) => method switch
    {
        AuthMethod.None => "none",
        AuthMethod.UsernamePassword => "username",
        AuthMethod.Gssapi => "gssapi",
        _ => $"0x{(byte)method:X2}",
    };

    public static bool TryParse(IEnumerable<string> items, [NotNullWhen(true)] out AuthMethodSet? set, out int errorIndex, out string? error)
    {
        ArgumentNullException.ThrowIfNull(items);
        set = EnumSet.TryParse<AuthMethod>(items, TryParseName, "method", out var values, out errorIndex, out error) ? new AuthMethodSet(values) : null;
        return set is not null;
    }

    public override string ToString() => "{" + string.Join(",", _methods.Select(Name)) + "}";
}
