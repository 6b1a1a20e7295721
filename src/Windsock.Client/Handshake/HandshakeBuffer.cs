using System.Buffers;
using Windsock.Protocol;

namespace Windsock.Client.Handshake;

/// <summary>
/// One pooled buffer per handshake, big enough for the largest message either side sends. .NET's own
/// SocksHelper once sized this below the largest SOCKS4a request; here it is derived from the limits.
/// </summary>
internal static class HandshakeBuffer
{
    public const int Size = SocksLimits.MaxSocks4RequestLength > SocksLimits.MaxUsernamePasswordRequestLength
        ? (SocksLimits.MaxSocks4RequestLength > SocksLimits.MaxSocks5RequestLength ? SocksLimits.MaxSocks4RequestLength : SocksLimits.MaxSocks5RequestLength)
        : (SocksLimits.MaxUsernamePasswordRequestLength > SocksLimits.MaxSocks5RequestLength ? SocksLimits.MaxUsernamePasswordRequestLength : SocksLimits.MaxSocks5RequestLength);

    public static byte[] Rent() => ArrayPool<byte>.Shared.Rent(Size);

    /// <summary>Cleared on return: the buffer held a password.</summary>
    public static void Return(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
}
