using CsCheck;
using Windsock.Protocol.Socks5;
using Xunit;

namespace Windsock.Protocol.Tests;

public class MethodSetTests
{
    [Fact]
    public void Empty_has_nothing()
    {
        Assert.True(MethodSet.Empty.IsEmpty);
        Assert.Equal(0, MethodSet.Empty.Count);
        Assert.Equal(default, MethodSet.Empty);
        Assert.Equal("", MethodSet.Empty.ToString());
        for (int m = 0; m < 256; m++)
        {
            Assert.False(MethodSet.Empty.Contains((byte)m));
        }
    }

    [Fact]
    public void Every_single_code_is_held_alone()
    {
        for (int m = 0; m < 256; m++)
        {
            var set = MethodSet.Empty.With((byte)m);
            Assert.Equal(1, set.Count);
            Assert.False(set.IsEmpty);
            for (int other = 0; other < 256; other++)
            {
                Assert.Equal(other == m, set.Contains((byte)other));
            }
        }
    }

    [Fact]
    public void Word_boundaries_are_distinct()
    {
        var set = MethodSet.From([0, 63, 64, 127, 128, 191, 192, 255]);
        Assert.Equal(8, set.Count);
        Assert.Equal("0x00,0x3F,0x40,0x7F,0x80,0xBF,0xC0,0xFF", set.ToString());
    }

    [Fact]
    public void Named_methods_map_to_their_codes()
    {
        var set = MethodSet.Empty.With(AuthMethod.UsernamePassword).With(AuthMethod.NoAcceptableMethods);
        Assert.True(set.Contains(0x02));
        Assert.True(set.Contains(0xFF));
        Assert.True(set.Contains(AuthMethod.UsernamePassword));
        Assert.False(set.Contains(AuthMethod.None));
        Assert.Equal("0x02,0xFF", set.ToString());
    }

    [Fact]
    public void All_256_codes()
    {
        var set = MethodSet.From(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        Assert.Equal(256, set.Count);
    }

    [Fact]
    public void Equality_ignores_order_and_duplicates()
    {
        var a = MethodSet.From([2, 0, 2]);
        var b = MethodSet.From([0, 2]);
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a.Equals((object)b));
        Assert.False(a.Equals((object)"0x00,0x02"));
        Assert.NotEqual(a, MethodSet.From([0]));
    }

    [Fact]
    public void Property_from_holds_exactly_the_distinct_codes()
    {
        Gen.Byte.Array[0, 300].Sample(codes =>
        {
            var set = MethodSet.From(codes);
            var distinct = codes.Distinct().Order().ToArray();
            Assert.Equal(distinct.Length, set.Count);
            Assert.Equal(distinct.Length == 0, set.IsEmpty);
            for (int m = 0; m < 256; m++)
            {
                Assert.Equal(distinct.Contains((byte)m), set.Contains((byte)m));
            }

            Assert.Equal(string.Join(',', distinct.Select(d => $"0x{d:X2}")), set.ToString());
        }, iter: 300);
    }
}
