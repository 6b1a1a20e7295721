using Windsock.Protocol.Socks5;

namespace Windsock.Server.Sessions;

/// <summary>
/// Which method the server selects from a SOCKS5 greeting (RFC 1928 section 3): its own preference among what
/// the client offers. GSSAPI first when configured (a ticket proves more than a password and can protect the
/// data), then username/password when a users file is set, and "no authentication" only when the server
/// requires none.
/// </summary>
internal static class MethodChoice
{
    public static AuthMethod Choose(MethodSet offered, bool gssapi, bool password)
    {
        if (gssapi && offered.Contains(AuthMethod.Gssapi))
        {
            return AuthMethod.Gssapi;
        }

        if (password && offered.Contains(AuthMethod.UsernamePassword))
        {
            return AuthMethod.UsernamePassword;
        }

        if (!gssapi && !password && offered.Contains(AuthMethod.None))
        {
            return AuthMethod.None;
        }

        return AuthMethod.NoAcceptableMethods;
    }

    /// <summary>The methods a server so configured accepts, for the refusal's log line.</summary>
    public static string Accepted(bool gssapi, bool password) =>
        (gssapi, password) switch
        {
            (true, true) => "gssapi, username",
            (true, false) => "gssapi",
            (false, true) => "username",
            _ => "none",
        };
}
