using System.Net;
using System.Net.Security;
using Windsock.Client.Gssapi;
using Windsock.Protocol.Gssapi;

namespace Windsock.Client;

/// <summary>
/// GSSAPI (RFC 1961, SOCKS5 method X'01') for one hop: Kerberos through the system's GSS-API library,
/// with credentials from the user's ticket cache (<c>kinit</c>, <c>KRB5CCNAME</c>) unless
/// <see cref="Credential"/> gives a password.
/// </summary>
public sealed class SocksGssapiOptions
{
    private readonly string _serviceName = "rcmd";
    private readonly string? _targetName;
    private readonly ProtectionLevel _protection = ProtectionLevel.EncryptAndSign;

    /// <summary>
    /// The service part of the proxy's principal: the target is <c>ServiceName/HOST</c> with the hop's
    /// host as written. "rcmd" by default, as curl and Dante use.
    /// </summary>
    /// <exception cref="ArgumentException">The value is null, blank, or contains '/'.</exception>
    public string ServiceName
    {
        get => _serviceName;
        init
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _serviceName = value.Contains('/', StringComparison.Ordinal)
                ? throw new ArgumentException("A service name has no '/'; give a whole principal as TargetName instead.", nameof(value))
                : value;
        }
    }

    /// <summary>The whole target principal, e.g. <c>rcmd/proxy.example</c>, instead of <see cref="ServiceName"/>/host; null (the default) for that.</summary>
    /// <exception cref="ArgumentException">The value is blank.</exception>
    public string? TargetName
    {
        get => _targetName;
        init => _targetName = value is null || !string.IsNullOrWhiteSpace(value) ? value : throw new ArgumentException("A target name is not blank.", nameof(value));
    }

    /// <summary>
    /// The protection the connection must have: <see cref="ProtectionLevel.None"/> (RFC 1961 level 0 as Dante
    /// and curl use it: the proxy authenticates the user, then data flows unwrapped),
    /// <see cref="ProtectionLevel.Sign"/> (integrity: every message signed) or
    /// <see cref="ProtectionLevel.EncryptAndSign"/> (confidentiality, the default). It is the level asked for and
    /// the least accepted: a proxy that grants less is refused. Anything above None means the connection is a
    /// <see cref="GssapiStream"/> (use <see cref="SocksClient.ConnectStreamAsync(EndPoint, CancellationToken)"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="ProtectionLevel"/>.</exception>
    public ProtectionLevel Protection
    {
        get => _protection;
        init => _protection = Enum.IsDefined(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Ask for None, Sign or EncryptAndSign.");
    }

    /// <summary>
    /// A user name and password to get a ticket with (the realm's default realm unless the name says
    /// <c>user@REALM</c>); null (the default) uses the default ticket cache.
    /// </summary>
    public NetworkCredential? Credential { get; init; }

    /// <summary>
    /// Sends the protection-level octet unwrapped and expects the answer unwrapped, as the old NEC
    /// reference implementation did (curl's <c>--socks5-gssapi-nec</c>); false (the default) wraps both, as RFC 1961 says.
    /// </summary>
    public bool SendProtectionLevelUnwrapped { get; init; }

    internal bool Protects => Protection != ProtectionLevel.None;

    internal GssapiProtectionLevel WireProtection => GssapiLevels.ToWire(Protection);

    internal string TargetFor(string host) => TargetName ?? $"{ServiceName}/{host}";

    /// <summary>"GSSAPI rcmd/HOST, confidentiality", as messages and logs show the options.</summary>
    /// <returns>The target, the protection and, when set, the NEC style.</returns>
    public override string ToString() => $"GSSAPI {TargetName ?? ServiceName + "/HOST"}, {GssapiLevels.Name(Protection)}{(SendProtectionLevelUnwrapped ? ", protection level unwrapped (NEC)" : "")}";
}
