using System.Globalization;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;

namespace Windsock.Policy;

/// <summary>
/// How a denial is answered: a SOCKS5 reply code from 1 to 8 (SOCKS4 clients always get 91, the
/// only "no" SOCKS4 has besides the ident codes), or <see cref="Drop"/>: close without any reply,
/// as CSTC sockd did, so a scanner learns nothing.
/// </summary>
public readonly record struct DenyReply
{
    private static readonly string[] Names =
    [
        "general-failure",
        "not-allowed",
        "network-unreachable",
        "host-unreachable",
        "connection-refused",
        "ttl-expired",
        "command-not-supported",
        "address-type-not-supported",
    ];

    private DenyReply(bool drop, Socks5ReplyCode code)
    {
        IsDrop = drop;
        Socks5Code = code;
    }

    /// <summary>Close the connection without a reply.</summary>
    public static DenyReply Drop { get; } = new(true, Socks5ReplyCode.NotAllowedByRuleset);

    /// <summary>SOCKS5 X'02' "connection not allowed by ruleset", SOCKS4 91: the default.</summary>
    public static DenyReply NotAllowed { get; } = new(false, Socks5ReplyCode.NotAllowedByRuleset);

    public bool IsDrop { get; }

    /// <summary>The SOCKS5 REP to send (meaningless when <see cref="IsDrop"/>).</summary>
    public Socks5ReplyCode Socks5Code { get; }

    /// <summary>The SOCKS4 CD to send (meaningless when <see cref="IsDrop"/>).</summary>
    public Socks4ReplyCode Socks4Code => Socks4ReplyCode.RejectedOrFailed;

    public static DenyReply FromSocks5(Socks5ReplyCode code)
    {
        if (code is < Socks5ReplyCode.GeneralFailure or > Socks5ReplyCode.AddressTypeNotSupported)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "A denial needs a SOCKS5 failure code from 1 to 8.");
        }

        return new DenyReply(false, code);
    }

    /// <summary>
    /// Accepts "drop", the names general-failure (1), not-allowed (2), network-unreachable (3),
    /// host-unreachable (4), connection-refused (5), ttl-expired (6), command-not-supported (7),
    /// address-type-not-supported (8), and those numbers written as decimal text.
    /// </summary>
    public static bool TryParse(string text, out DenyReply reply, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        reply = NotAllowed;
        if (text == "drop")
        {
            reply = Drop;
            return true;
        }

        int index = Array.IndexOf(Names, text);
        if (index >= 0)
        {
            reply = new DenyReply(false, (Socks5ReplyCode)(index + 1));
            return true;
        }

        if (text.Length == 1 && text[0] is >= '1' and <= '8')
        {
            return TryFromCode(text[0] - '0', out reply, out error);
        }

        error = $"\"{text}\" is not a reply; write \"drop\" or one of {string.Join(", ", Names)} (or the SOCKS5 code 1 to 8)";
        return false;
    }

    /// <summary>For a TOML integer value: the SOCKS5 codes 1 to 8.</summary>
    public static bool TryFromCode(long code, out DenyReply reply, out string? error)
    {
        reply = NotAllowed;
        error = null;
        if (code is < 1 or > 8)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"reply code {code} is not a SOCKS5 failure code; use 1 to 8 (SOCKS4 clients always get 91) or \"drop\"");
            return false;
        }

        reply = new DenyReply(false, (Socks5ReplyCode)code);
        return true;
    }

    public string Name => IsDrop ? "drop" : Names[(int)Socks5Code - 1];

    public override string ToString() => IsDrop
        ? "drop (close without reply)"
        : string.Create(CultureInfo.InvariantCulture, $"{Name} (SOCKS5 {(int)Socks5Code}, SOCKS4 {(int)Socks4Code})");
}
