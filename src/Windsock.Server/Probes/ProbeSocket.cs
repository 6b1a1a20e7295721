using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Server.Probes;

/// <summary>
/// One socket that sends probes and reads their answers, for one session: ICMP echo (datagram or raw) or
/// UDP, IPv4 or IPv6, with the error queue on (IP_RECVERR / IPV6_RECVERR) and the reply TTL reported.
/// Waiting happens on the session's own probe thread, woken by <see cref="Wake"/> when the session ends.
/// Disposing closes both descriptors.
/// </summary>
internal sealed class ProbeSocket : IDisposable
{
    private readonly Socket _socket;
    private readonly int _waker;
    private readonly byte[] _address = new byte[128];
    private readonly byte[] _control = new byte[512];
    private int _disposed;

    private ProbeSocket(Socket socket, ProbeSocketKind kind)
    {
        _socket = socket;
        Kind = kind;
        _waker = ProbeInterop.CreateWaker();
    }

    public ProbeSocketKind Kind { get; }

    public bool IsIPv6 => _socket.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>Opens a socket of <paramref name="kind"/>; throws <see cref="SocketException"/> when the system refuses it (EACCES, EPERM).</summary>
    public static ProbeSocket Open(AddressFamily family, ProbeSocketKind kind)
    {
        bool v6 = family == AddressFamily.InterNetworkV6;
        var socket = kind switch
        {
            ProbeSocketKind.IcmpDatagram => new Socket(family, SocketType.Dgram, v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp),
            ProbeSocketKind.IcmpRaw => new Socket(family, SocketType.Raw, v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp),
            _ => new Socket(family, SocketType.Dgram, ProtocolType.Udp),
        };
        try
        {
            Span<byte> on = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(on, 1);
            socket.SetRawSocketOption(v6 ? ProbeInterop.SolIpv6 : ProbeInterop.SolIp, v6 ? ProbeInterop.Ipv6RecvErr : ProbeInterop.IpRecvErr, on);
            socket.SetRawSocketOption(v6 ? ProbeInterop.SolIpv6 : ProbeInterop.SolIp, v6 ? ProbeInterop.Ipv6RecvHopLimit : ProbeInterop.IpRecvTtl, on);
            socket.Bind(new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
            return new ProbeSocket(socket, kind);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The TTL (IPv4) or hop limit (IPv6) of the next probes.</summary>
    public void SetHopLimit(int hops)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(value, hops);
        _socket.SetRawSocketOption(IsIPv6 ? ProbeInterop.SolIpv6 : ProbeInterop.SolIp, IsIPv6 ? ProbeInterop.Ipv6UnicastHops : ProbeInterop.IpTtl, value);
    }

    /// <summary>Sends one probe. A local refusal (no route here, a full buffer) comes back as the socket error.</summary>
    public SocketError Send(ReadOnlySpan<byte> probe, IPEndPoint target)
    {
        try
        {
            _socket.SendTo(probe, SocketFlags.None, target);
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }

    /// <summary>Blocks the probe thread until something can be read, <paramref name="timeout"/> passes, or <see cref="Wake"/>.</summary>
    public bool Wait(TimeSpan timeout)
    {
        int ms = (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 0, int.MaxValue);
        bool ready = ProbeInterop.WaitReady((int)_socket.Handle, _waker, ms);
        ProbeInterop.Drain(_waker);
        return ready;
    }

    /// <summary>Pauses the probe thread for <paramref name="delay"/> (pacing); true when <paramref name="stop"/> ended it early.</summary>
    public bool WaitOnlyForStop(TimeSpan delay, CancellationToken stop) => stop.WaitHandle.WaitOne(delay);

    /// <summary>Wakes <see cref="Wait"/> from any thread (the session ended).</summary>
    public void Wake()
    {
        lock (_control)
        {
            if (_disposed == 0)
            {
                ProbeInterop.Signal(_waker);
            }
        }
    }

    /// <summary>Reads one queued error (first) or datagram without blocking; false when nothing is queued.</summary>
    public bool TryReceive(Span<byte> buffer, out ProbeReceived received)
    {
        int fd = (int)_socket.Handle;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            int n = ProbeInterop.Receive(fd, buffer, _address, _control, errorQueue: true, out int addressLength, out int controlLength);
            if (n >= 0)
            {
                received = FromError(n, addressLength, _control.AsSpan(0, controlLength));
                return true;
            }

            int m = ProbeInterop.Receive(fd, buffer, _address, _control, errorQueue: false, out addressLength, out controlLength);
            if (m >= 0)
            {
                received = FromDatagram(buffer, m, addressLength, _control.AsSpan(0, controlLength));
                return true;
            }

            // -2: a pending socket error (an ICMP error with IP_RECVERR sets one too), reported once: read again.
            if (n == -1 && m == -1)
            {
                break;
            }
        }

        received = default;
        return false;
    }

    private ProbeReceived FromDatagram(Span<byte> buffer, int length, int addressLength, ReadOnlySpan<byte> control)
    {
        var from = ReadAddress(_address.AsSpan(0, addressLength), out _) ?? (IsIPv6 ? IPAddress.IPv6None : IPAddress.None);
        int ttl = -1;
        foreach (var (level, type, data) in ProbeInterop.ControlMessages(control))
        {
            if (data.Length >= 4 && ((level == ProbeInterop.SolIp && type == ProbeInterop.IpTtl) || (level == ProbeInterop.SolIpv6 && type == ProbeInterop.Ipv6HopLimit)))
            {
                ttl = BitConverter.ToInt32(data);
            }
        }

        if (Kind == ProbeSocketKind.IcmpRaw && !IsIPv6 && length >= 20)
        {
            // Raw IPv4 sockets deliver the IP header: take the TTL from it and hand on the ICMP message alone.
            int headerLength = (buffer[0] & 0x0F) * 4;
            ttl = buffer[8];
            if (headerLength >= 20 && headerLength <= length)
            {
                buffer[headerLength..length].CopyTo(buffer);
                length -= headerLength;
            }
        }

        return new ProbeReceived(false, from, length, ttl, 0, 0, 0);
    }

    private ProbeReceived FromError(int length, int addressLength, ReadOnlySpan<byte> control)
    {
        ReadAddress(_address.AsSpan(0, addressLength), out int originalPort);
        foreach (var (level, type, data) in ProbeInterop.ControlMessages(control))
        {
            bool isError = (level == ProbeInterop.SolIp && type == ProbeInterop.IpRecvErr) || (level == ProbeInterop.SolIpv6 && type == ProbeInterop.Ipv6RecvErr);
            // struct sock_extended_err { u32 ee_errno; u8 ee_origin, ee_type, ee_code, ee_pad; u32 ee_info, ee_data; } then the offender.
            if (!isError || data.Length < 16)
            {
                continue;
            }

            byte origin = data[4];
            if (origin is not (ProbeInterop.OriginIcmp or ProbeInterop.OriginIcmp6))
            {
                // A local error (EMSGSIZE and the like): nobody on the path answered.
                continue;
            }

            var offender = ReadAddress(data.AsSpan(16), out _) ?? (IsIPv6 ? IPAddress.IPv6None : IPAddress.None);
            return new ProbeReceived(true, offender, length, -1, data[5], data[6], originalPort);
        }

        return new ProbeReceived(true, IsIPv6 ? IPAddress.IPv6None : IPAddress.None, length, -1, 255, 255, originalPort);
    }

    /// <summary>A sockaddr_in / sockaddr_in6 as an address (and its port).</summary>
    private static IPAddress? ReadAddress(ReadOnlySpan<byte> sockaddr, out int port)
    {
        port = 0;
        if (sockaddr.Length < 8)
        {
            return null;
        }

        ushort family = BitConverter.ToUInt16(sockaddr);
        port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
        if (family == 2)
        {
            return new IPAddress(sockaddr.Slice(4, 4));
        }

        if (family == 10 && sockaddr.Length >= 28)
        {
            var address = new IPAddress(sockaddr.Slice(8, 16), BitConverter.ToUInt32(sockaddr[24..]));
            return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        }

        return null;
    }

    public void Dispose()
    {
        // Under the lock Wake takes: the eventfd's number is never signalled after it was closed (and reused).
        lock (_control)
        {
            if (_disposed++ == 0)
            {
                _socket.Dispose();
                ProbeInterop.CloseFd(_waker);
            }
        }
    }
}
