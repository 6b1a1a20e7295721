namespace Windsock.Protocol.Socks5;

/// <summary>The set of method codes a client offers, as a 256-bit set: no allocation, order-free lookups.</summary>
public readonly struct MethodSet : IEquatable<MethodSet>
{
    private readonly ulong _w0, _w1, _w2, _w3;

    private MethodSet(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
        _w3 = w3;
    }

    public static MethodSet Empty => default;

    public static MethodSet From(ReadOnlySpan<byte> methods)
    {
        var set = default(MethodSet);
        foreach (var m in methods)
        {
            set = set.With(m);
        }

        return set;
    }

    public bool IsEmpty => (_w0 | _w1 | _w2 | _w3) == 0;

    public int Count => System.Numerics.BitOperations.PopCount(_w0) + System.Numerics.BitOperations.PopCount(_w1)
        + System.Numerics.BitOperations.PopCount(_w2) + System.Numerics.BitOperations.PopCount(_w3);

    public bool Contains(byte method)
    {
        ulong bit = 1UL << (method & 63);
        return (method >> 6) switch
        {
            0 => (_w0 & bit) != 0,
            1 => (_w1 & bit) != 0,
            2 => (_w2 & bit) != 0,
            _ => (_w3 & bit) != 0,
        };
    }

    public bool Contains(AuthMethod method) => Contains((byte)method);

    public MethodSet With(byte method)
    {
        ulong bit = 1UL << (method & 63);
        return (method >> 6) switch
        {
            0 => new MethodSet(_w0 | bit, _w1, _w2, _w3),
            1 => new MethodSet(_w0, _w1 | bit, _w2, _w3),
            2 => new MethodSet(_w0, _w1, _w2 | bit, _w3),
            _ => new MethodSet(_w0, _w1, _w2, _w3 | bit),
        };
    }

    public MethodSet With(AuthMethod method) => With((byte)method);

    public bool Equals(MethodSet other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    public override bool Equals(object? obj) => obj is MethodSet other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_w0, _w1, _w2, _w3);

    public static bool operator ==(MethodSet left, MethodSet right) => left.Equals(right);

    public static bool operator !=(MethodSet left, MethodSet right) => !left.Equals(right);

    /// <summary>The codes in ascending order, e.g. "0x00,0x02", for logs.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        for (int m = 0; m < 256; m++)
        {
            if (Contains((byte)m))
            {
                parts.Add($"0x{m:X2}");
            }
        }

        return string.Join(',', parts);
    }
}
