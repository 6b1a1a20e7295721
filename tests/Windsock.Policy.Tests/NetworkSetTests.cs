using System.Net;
using CsCheck;
using Xunit;

namespace Windsock.Policy.Tests;

public class NetworkSetTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("::ffff:10.0.0.0/104", "10.1.2.3", true)]
    [InlineData("::ffff:10.0.0.0/104", "::ffff:10.1.2.3", true)]
    [InlineData("192.0.2.7", "192.0.2.7", true)]
    [InlineData("192.0.2.7", "192.0.2.8", false)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "10.0.0.1", false)]
    [InlineData("0.0.0.0/0", "203.0.113.1", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("::/0", "2001:db8::1", true)]
    public void Contains(string network, string address, bool expected)
    {
        Assert.True(NetworkSet.TryParse(network, out var set, out string? error), error);
        Assert.Equal(expected, set.Contains(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("10.1.2.3/8", "write \"10.0.0.0/8\" for the network or \"10.1.2.3/32\"")]
    [InlineData("10.1", "dotted-quad")]
    [InlineData("010.0.0.1", "dotted-quad")]
    [InlineData("10.0.0.0/33", "invalid prefix length")]
    [InlineData("10.0.0.0/", "invalid prefix length")]
    [InlineData("[::1]", "without brackets")]
    [InlineData("fe80::1%2", "scope id")]
    [InlineData("example.com", "not an IP address")]
    public void Rejects_ambiguous_networks(string text, string expectedInError)
    {
        Assert.False(NetworkSyntax.TryParseNetwork(text, out _, out string? error));
        Assert.Contains(expectedInError, error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_IPv4_address_and_its_mapped_form_are_the_same_to_every_network()
    {
        var network = Gen.Select(Gen.Byte.Array[4], Gen.Int[0, 32]).Select((bytes, prefix) =>
            new IPNetwork(NetworkSyntax.Mask(new IPAddress(bytes), prefix), prefix));
        Gen.Select(network.Array[1, 4], Gen.Byte.Array[4], Gen.Bool).Sample((networks, bytes, writeMapped) =>
        {
            // The same networks written in the ::ffff:a.b.c.d/96+n form must behave the same.
            var mappedNetworks = networks.Select(n => new IPNetwork(n.BaseAddress.MapToIPv6(), n.PrefixLength + 96));
            var set = new NetworkSet(writeMapped ? mappedNetworks : networks);
            var address = new IPAddress(bytes);
            bool expected = networks.Any(n => n.Contains(address));
            Assert.Equal(expected, set.Contains(address));
            Assert.Equal(expected, set.Contains(address.MapToIPv6()));
        }, iter: 3_000);
    }

    [Fact]
    public void Contains_agrees_with_a_bitwise_reference()
    {
        Gen.Select(Gen.Byte.Array[16], Gen.Int[0, 128], Gen.Byte.Array[16]).Sample((baseBytes, prefix, probe) =>
        {
            var network = new IPNetwork(NetworkSyntax.Mask(new IPAddress(baseBytes), prefix), prefix);
            var address = new IPAddress(probe);
            if (address.IsIPv4MappedToIPv6 || network.BaseAddress.IsIPv4MappedToIPv6)
            {
                return; // compared as IPv4, covered above
            }

            byte[] a = network.BaseAddress.GetAddressBytes();
            bool expected = true;
            for (int bit = 0; bit < prefix; bit++)
            {
                int mask = 0x80 >> (bit % 8);
                if ((a[bit / 8] & mask) != (probe[bit / 8] & mask))
                {
                    expected = false;
                    break;
                }
            }

            Assert.Equal(expected, new NetworkSet([network]).Contains(address));
        }, iter: 3_000);
    }
}
