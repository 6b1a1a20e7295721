using System.Formats.Asn1;
using System.Text;

namespace Windsock.Protocol.Gssapi;

/// <summary>
/// Reads which service a Kerberos initial context token is for, from the ticket's clear-text part, without any
/// key. The server uses it to refuse tickets for another service than the configured one before its acceptor
/// tries them (the acceptor would take any key in the keytab), and to name the service in a failure's log line.
/// <code>
/// InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE { thisMech OID 1.2.840.113554.1.2.2,
///                                                             TOK_ID 01 00, AP-REQ }     (RFC 2743 3.1, RFC 1964 1.1)
/// AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1], ap-options [2], ticket [3], authenticator [4] }
/// Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1] Realm, sname [2] PrincipalName, enc-part [3] }
/// PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }  (RFC 4120 5.3)
/// </code>
/// </summary>
public static class KerberosTicketName
{
    private const string KerberosMechanism = "1.2.840.113554.1.2.2";

    private static readonly Asn1Tag Sequence = new(UniversalTagNumber.Sequence, isConstructed: true);

    /// <summary>The ticket's service principal ("rcmd/proxy.example.org") and realm; false for anything else.</summary>
    public static bool TryRead(ReadOnlySpan<byte> token, out string service, out string realm)
    {
        service = "";
        realm = "";
        try
        {
            if (!Enter(ref token, new Asn1Tag(TagClass.Application, 0, isConstructed: true), out var initial))
            {
                return false;
            }

            if (AsnDecoder.ReadObjectIdentifier(initial, AsnEncodingRules.BER, out int oidLength) != KerberosMechanism)
            {
                return false;
            }

            var inner = initial[oidLength..];
            if (inner.Length < 2 || inner[0] != 0x01 || inner[1] != 0x00)
            {
                return false; // not KRB_AP_REQ
            }

            inner = inner[2..];
            if (!Enter(ref inner, new Asn1Tag(TagClass.Application, 14, isConstructed: true), out var apReq)
                || !Enter(ref apReq, Sequence, out var apFields)
                || !Field(apFields, 3, out var ticketField)
                || !Enter(ref ticketField, new Asn1Tag(TagClass.Application, 1, isConstructed: true), out var ticket)
                || !Enter(ref ticket, Sequence, out var ticketFields)
                || !Field(ticketFields, 1, out var realmField)
                || !Field(ticketFields, 2, out var snameField)
                || !Enter(ref snameField, Sequence, out var sname)
                || !Field(sname, 1, out var namesField)
                || !Enter(ref namesField, Sequence, out var names))
            {
                return false;
            }

            if (!Text(ref realmField, out realm))
            {
                return false;
            }

            var parts = new List<string>(2);
            while (!names.IsEmpty)
            {
                if (!Text(ref names, out var part) || parts.Count >= 8)
                {
                    return false;
                }

                parts.Add(part);
            }

            service = string.Join('/', parts);
            return parts.Count > 0;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>Takes the next value off <paramref name="data"/> when it has <paramref name="tag"/>; its contents in <paramref name="contents"/>.</summary>
    private static bool Enter(ref ReadOnlySpan<byte> data, Asn1Tag tag, out ReadOnlySpan<byte> contents)
    {
        contents = default;
        if (!AsnDecoder.TryReadEncodedValue(data, AsnEncodingRules.BER, out var actual, out int offset, out int length, out int consumed) || actual != tag)
        {
            return false;
        }

        contents = data.Slice(offset, length);
        data = data[consumed..];
        return true;
    }

    /// <summary>The contents of the explicitly tagged field [<paramref name="number"/>] of a SEQUENCE's contents.</summary>
    private static bool Field(ReadOnlySpan<byte> fields, int number, out ReadOnlySpan<byte> contents)
    {
        var expected = new Asn1Tag(TagClass.ContextSpecific, number, isConstructed: true);
        while (!fields.IsEmpty)
        {
            if (!AsnDecoder.TryReadEncodedValue(fields, AsnEncodingRules.BER, out var tag, out int offset, out int length, out int consumed))
            {
                break;
            }

            if (tag == expected)
            {
                contents = fields.Slice(offset, length);
                return true;
            }

            fields = fields[consumed..];
        }

        contents = default;
        return false;
    }

    /// <summary>A KerberosString (GeneralString restricted to IA5): printable ASCII only, or it is no name we can log.</summary>
    private static bool Text(ref ReadOnlySpan<byte> data, out string text)
    {
        text = "";
        if (!Enter(ref data, new Asn1Tag(UniversalTagNumber.GeneralString), out var bytes) || bytes.IsEmpty || bytes.Length > 255)
        {
            return false;
        }

        foreach (byte b in bytes)
        {
            if (b is < 0x21 or > 0x7E)
            {
                return false;
            }
        }

        text = Encoding.ASCII.GetString(bytes);
        return true;
    }
}
