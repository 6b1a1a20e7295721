using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;

namespace Windsock.Server.Udp;

/// <summary>
/// A UDP endpoint as a plain value: the address in its 16-byte IPv6 form (IPv4 as IPv4-mapped, so both
/// spellings of one host are one key) and the port. Made from a received <see cref="SocketAddress"/> or from
/// a datagram header's address bytes without allocating, so the relay tells the client, its peers and its
/// destinations apart on every datagram for the price of two compares. The IPv6 scope id is left out: a
/// SOCKS header cannot carry one.
/// </summary>
internal readonly record struct UdpEndpointKey(ulong High, ulong Low, ushort Port)
{
    // ::ffff:a.b.c.d has High = 0 and this in the top half of Low.
    private const ulong MappedPrefix = 0x0000_FFFF_0000_0000;
    private const ulong TopHalf = 0xFFFF_FFFF_0000_0000;

    // The native sockaddr layout that SocketAddress holds: the port at 2 on every platform, then the
    // IPv4 address at 4 (sockaddr_in) or, after the flow label, the IPv6 address at 8 (sockaddr_in6).
    private const int PortOffset = 2;
    private const int IPv4Offset = 4;
    private const int IPv6Offset = 8;

    public bool IsIPv4 => High == 0 && (Low & TopHalf) == MappedPrefix;

    /// <summary>From an address's 4 or 16 network-order bytes.</summary>
    public static UdpEndpointKey FromBytes(ReadOnlySpan<byte> address, ushort port) => address.Length == 4
        ? new(0, MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(address), port)
        : new(BinaryPrimitives.ReadUInt64BigEndian(address), BinaryPrimitives.ReadUInt64BigEndian(address[8..]), port);

    public static UdpEndpointKey From(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int written))
        {
            throw new ArgumentException($"Address family {address.AddressFamily} is not IP.", nameof(address));
        }

        return FromBytes(bytes[..written], (ushort)port);
    }

    /// <summary>From the address a datagram was received from (an IPv4 or IPv6 socket's).</summary>
    public static UdpEndpointKey From(SocketAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var bytes = address.Buffer.Span;
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(bytes[PortOffset..]);
        return address.Family == AddressFamily.InterNetworkV6
            ? FromBytes(bytes.Slice(IPv6Offset, 16), port)
            : FromBytes(bytes.Slice(IPv4Offset, 4), port);
    }

    public bool SameAddress(UdpEndpointKey other) => High == other.High && Low == other.Low;

    /// <summary>The bytes ATYP, address and port take in a SOCKS5 header: IPv4 for an IPv4(-mapped) address.</summary>
    public int Socks5Length => IsIPv4 ? 1 + 4 + 2 : 1 + 16 + 2;

    /// <summary>Writes ATYP, address and port as a SOCKS5 UDP header names the sender; returns the length.</summary>
    public int WriteSocks5(Span<byte> destination)
    {
        int length = Socks5Length;
        if (IsIPv4)
        {
            destination[0] = (byte)AddressType.IPv4;
            BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)Low);
        }
        else
        {
            destination[0] = (byte)AddressType.IPv6;
            BinaryPrimitives.WriteUInt64BigEndian(destination[1..], High);
            BinaryPrimitives.WriteUInt64BigEndian(destination[9..], Low);
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[(length - 2)..], Port);
        return length;
    }

    /// <summary>The endpoint as an object, IPv4 plain: for logs and decisions, made once per destination, never per datagram.</summary>
    public IPEndPoint ToIPEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Low);
        return new IPEndPoint(IsIPv4 ? new IPAddress(bytes[12..]) : new IPAddress(bytes), Port);
    }

    public override string ToString() => ToIPEndPoint().ToString();
}
