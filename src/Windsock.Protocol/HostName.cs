namespace Windsock.Protocol;

/// <summary>The rules a host name on the wire must follow, shared by SOCKS4a and SOCKS5.</summary>
public static class HostName
{
    /// <summary>
    /// Checks a host name's bytes. Names are printable ASCII (0x21-0x7E): resolvers take IDNs in
    /// punycode, and anything else (NUL, spaces, control or 8-bit bytes) would only reach logs and
    /// hooks as a way to smuggle text.
    /// </summary>
    public static ProtocolError Validate(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty)
        {
            return ProtocolError.EmptyHostName;
        }

        if (name.Length > SocksLimits.MaxHostNameLength)
        {
            return ProtocolError.HostNameTooLong;
        }

        foreach (var b in name)
        {
            if (b is < 0x21 or > 0x7E)
            {
                return ProtocolError.InvalidHostName;
            }
        }

        return ProtocolError.None;
    }

    public static ProtocolError Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return ProtocolError.EmptyHostName;
        }

        if (name.Length > SocksLimits.MaxHostNameLength)
        {
            return ProtocolError.HostNameTooLong;
        }

        foreach (var c in name)
        {
            if (c is < (char)0x21 or > (char)0x7E)
            {
                return ProtocolError.InvalidHostName;
            }
        }

        return ProtocolError.None;
    }
}
