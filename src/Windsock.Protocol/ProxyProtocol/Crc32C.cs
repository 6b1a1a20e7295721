using System.Numerics;

namespace Windsock.Protocol.ProxyProtocol;

/// <summary>
/// CRC32c (Castagnoli) as RFC 4960 appendix B defines it: reflected, initial value and final XOR 0xFFFFFFFF.
/// <see cref="BitOperations.Crc32C(uint, byte)"/> is the bare update step (hardware-accelerated where the CPU has it).
/// </summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Start, data));

    public const uint Start = 0xFFFFFFFF;

    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    public static uint Finish(uint crc) => ~crc;
}
