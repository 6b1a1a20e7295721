using System.Formats.Asn1;
using System.Text;
using Windsock.Protocol.Gssapi;
using Xunit;

namespace Windsock.Protocol.Tests;

/// <summary>The service a Kerberos initial context token names, read from the ticket's clear part; anything else is "no name", never an exception.</summary>
public class KerberosTicketNameTests
{
    [Fact]
    public void Reads_service_and_realm_of_an_ap_req()
    {
        byte[] token = InitialToken("WINDSOCK.TEST", "rcmd", "localhost");

        Assert.True(KerberosTicketName.TryRead(token, out var service, out var realm));
        Assert.Equal("rcmd/localhost", service);
        Assert.Equal("WINDSOCK.TEST", realm);
    }

    [Fact]
    public void Every_truncation_and_every_flipped_byte_is_false_or_a_name_never_an_exception()
    {
        byte[] token = InitialToken("EXAMPLE.ORG", "host", "proxy.example.org");
        for (int length = 0; length < token.Length; length++)
        {
            Assert.False(KerberosTicketName.TryRead(token.AsSpan(0, length), out _, out _));
        }

        for (int i = 0; i < token.Length; i++)
        {
            var copy = (byte[])token.Clone();
            copy[i] ^= 0xFF;
            _ = KerberosTicketName.TryRead(copy, out _, out _);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("60 00")]
    [InlineData("04 03 01 02 03")]
    public void Other_tokens_name_nothing(string hex) =>
        Assert.False(KerberosTicketName.TryRead(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)), out _, out _));

    /// <summary>RFC 2743 3.1 framing around an RFC 4120 AP-REQ whose encrypted parts are placeholders.</summary>
    private static byte[] InitialToken(string realmName, params string[] names)
    {
        var ticket = new AsnWriter(AsnEncodingRules.DER);
        using (ticket.PushSequence(new Asn1Tag(TagClass.Application, 1, true)))
        using (ticket.PushSequence())
        {
            Explicit(ticket, 0, w => w.WriteInteger(5));
            Explicit(ticket, 1, w => General(w, realmName));
            Explicit(ticket, 2, w =>
            {
                using (w.PushSequence())
                {
                    Explicit(w, 0, x => x.WriteInteger(3));
                    Explicit(w, 1, x =>
                    {
                        using (x.PushSequence())
                        {
                            foreach (var name in names)
                            {
                                General(x, name);
                            }
                        }
                    });
                }
            });
            Explicit(ticket, 3, w => w.WriteOctetString([1, 2, 3]));
        }

        var apReq = new AsnWriter(AsnEncodingRules.DER);
        using (apReq.PushSequence(new Asn1Tag(TagClass.Application, 14, true)))
        using (apReq.PushSequence())
        {
            Explicit(apReq, 0, w => w.WriteInteger(5));
            Explicit(apReq, 1, w => w.WriteInteger(14));
            Explicit(apReq, 2, w => w.WriteBitString([0, 0, 0, 0]));
            Explicit(apReq, 3, w => w.WriteEncodedValue(ticket.Encode()));
            Explicit(apReq, 4, w => w.WriteOctetString([4, 5, 6]));
        }

        var initial = new AsnWriter(AsnEncodingRules.DER);
        using (initial.PushSequence(new Asn1Tag(TagClass.Application, 0, true)))
        {
            initial.WriteObjectIdentifier("1.2.840.113554.1.2.2");
            initial.WriteEncodedValue([0x01, 0x00]); // TOK_ID KRB_AP_REQ: two raw octets, read as an empty TLV
            initial.WriteEncodedValue(apReq.Encode());
        }

        return initial.Encode();
    }

    private static void Explicit(AsnWriter writer, int number, Action<AsnWriter> inner)
    {
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, number, true)))
        {
            inner(writer);
        }
    }

    /// <summary>A KerberosString: GeneralString (tag 27), which AsnWriter has no writer for, so written as raw TLV.</summary>
    private static void General(AsnWriter writer, string text) =>
        writer.WriteEncodedValue([0x1B, (byte)text.Length, .. Encoding.ASCII.GetBytes(text)]);
}
