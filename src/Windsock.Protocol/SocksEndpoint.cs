using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Protocol;

/// <summary>
/// A destination as it travels in SOCKS messages: an IPv4 or IPv6 address, or a host name that the
/// server resolves, with a port. Exactly one of <see cref="Address"/> and <see cref="Host"/> is set.
/// </summary>
public readonly record struct SocksEndpoint : ISpanFormattable
{
    private SocksEndpoint(AddressType type, IPAddress? address, string? host, ushort port)
    {
        Type = type;
        Address = address;
        Host = host;
        Port = port;
    }

    public AddressType Type { get; }

    public IPAddress? Address { get; }

    public string? Host { get; }

    public ushort Port { get; }

    public bool IsHostName => Type == AddressType.DomainName;

    public static SocksEndpoint FromAddress(IPAddress address, ushort port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => new SocksEndpoint(AddressType.IPv4, address, null, port),
            AddressFamily.InterNetworkV6 => new SocksEndpoint(AddressType.IPv6, address, null, port),
            _ => throw new ArgumentException($"Address family {address.AddressFamily} has no SOCKS address type.", nameof(address)),
        };
    }

    public static SocksEndpoint FromEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return FromAddress(endPoint.Address, (ushort)endPoint.Port);
    }

    /// <summary>A host name destination. The name must be 1 to 255 printable ASCII characters.</summary>
    public static SocksEndpoint FromHost(string host, ushort port)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (HostName.Validate(host) is var error and not ProtocolError.None)
        {
            throw new ArgumentException($"'{host}' cannot be sent as a SOCKS host name: {error}.", nameof(host));
        }

        return new SocksEndpoint(AddressType.DomainName, null, host, port);
    }

    internal static SocksEndpoint FromValidatedHost(string host, ushort port) => new(AddressType.DomainName, null, host, port);

    /// <summary>The number of bytes ATYP, the address and the port take in a SOCKS5 message.</summary>
    public int Socks5EncodedLength => Type switch
    {
        AddressType.IPv4 => 1 + 4 + 2,
        AddressType.IPv6 => 1 + 16 + 2,
        _ => 1 + 1 + Host!.Length + 2,
    };

    public IPEndPoint? ToIPEndPoint() => Address is null ? null : new IPEndPoint(Address, Port);

    /// <summary>host:port, with IPv6 addresses in brackets, as logs and error messages show it.</summary>
    public override string ToString() => Type switch
    {
        AddressType.IPv6 => string.Create(CultureInfo.InvariantCulture, $"[{Address}]:{Port}"),
        AddressType.IPv4 => string.Create(CultureInfo.InvariantCulture, $"{Address}:{Port}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}"),
    };

    /// <summary>
    /// <see cref="ToString()"/>'s text written into <paramref name="destination"/> instead of a new string (the request
    /// log formats every session's destination twice); false when it does not fit.
    /// </summary>
    public bool TryFormat(Span<char> destination, out int charsWritten) => Type switch
    {
        AddressType.IPv6 => destination.TryWrite(CultureInfo.InvariantCulture, $"[{Address}]:{Port}", out charsWritten),
        AddressType.IPv4 => destination.TryWrite(CultureInfo.InvariantCulture, $"{Address}:{Port}", out charsWritten),
        _ => destination.TryWrite(CultureInfo.InvariantCulture, $"{Host}:{Port}", out charsWritten),
    };

    string IFormattable.ToString(string? format, IFormatProvider? formatProvider) => ToString();

    bool ISpanFormattable.TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        TryFormat(destination, out charsWritten);
}
