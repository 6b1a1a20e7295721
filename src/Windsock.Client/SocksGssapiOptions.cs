using System.Net;
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
    private readonly GssapiProtectionLevel _protection = GssapiProtectionLevel.Confidentiality;

    /// <summary>
    /// The service part of the proxy's principal: the target is <c>ServiceName/HOST</c> with the hop's
    /// host as written. "rcmd" by default, as curl and Dante use.
    /// </summary>
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

    /// <summary>The whole target principal, e.g. <c>rcmd/proxy.example</c>, instead of <see cref="ServiceName"/>/host.</summary>
    public string? TargetName
    {
        get => _targetName;
        init => _targetName = value is null || !string.IsNullOrWhiteSpace(value) ? value : throw new ArgumentException("A target name is not blank.", nameof(value));
    }

    /// <summary>
    /// The protection the connection must have: <see cref="GssapiProtectionLevel.Clear"/> (the proxy
    /// authenticates the user; data then flows unwrapped), <see cref="GssapiProtectionLevel.Integrity"/>
    /// or <see cref="GssapiProtectionLevel.Confidentiality"/> (the default). It is the level asked for and
    /// the least accepted: a proxy that grants less is refused. Anything above clear means the connection is a
    /// <see cref="GssapiStream"/> (use <see cref="SocksClient.ConnectStreamAsync(EndPoint, CancellationToken)"/>).
    /// </summary>
    public GssapiProtectionLevel Protection
    {
        get => _protection;
        init => _protection = value is GssapiProtectionLevel.Clear or GssapiProtectionLevel.Integrity or GssapiProtectionLevel.Confidentiality
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Ask for clear, integrity or confidentiality; selective is the proxy's to grant.");
    }

    /// <summary>
    /// A user name and password to get a ticket with (the realm's default realm unless the name says
    /// <c>user@REALM</c>); null uses the default ticket cache.
    /// </summary>
    public NetworkCredential? Credential { get; init; }

    /// <summary>
    /// Sends the protection-level octet unwrapped and expects the answer unwrapped, as the old NEC
    /// reference implementation did (curl's <c>--socks5-gssapi-nec</c>).
    /// </summary>
    public bool Nec { get; init; }

    internal bool Protects => Protection != GssapiProtectionLevel.Clear;

    internal string TargetFor(string host) => TargetName ?? $"{ServiceName}/{host}";

    public override string ToString() => $"GSSAPI {TargetName ?? ServiceName + "/HOST"}, {Protection.ToString().ToLowerInvariant()}{(Nec ? ", NEC" : "")}";
}
