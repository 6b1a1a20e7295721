using System.Buffers.Binary;
using System.Text;

namespace Windsock.Server.Gssapi;

/// <summary>
/// The principals whose keys an MIT keytab file holds (format versions 0x0501 and 0x0502, as
/// <c>kadmin ktadd</c> writes them). Parsing only, no I/O: the caller reads the file.
/// <para>
/// Why: the GSSAPI acceptor takes a ticket for any principal it finds a key for, and a ticket's service
/// name travels in the clear, unauthenticated. So <c>service_principal</c> is only a guarantee when the
/// keytab holds that service's keys and nothing else, which the server checks at start and reload.
/// </para>
/// </summary>
internal static class KeytabPrincipals
{
    /// <summary>The distinct principals ("rcmd/host@REALM"), or null when the bytes are not a keytab this parser knows.</summary>
    public static IReadOnlySet<string>? TryRead(ReadOnlySpan<byte> file)
    {
        if (file.Length < 2 || file[0] != 0x05 || file[1] is not (0x01 or 0x02))
        {
            return null;
        }

        bool countsRealm = file[1] == 0x01; // version 1 counted the realm among the components
        var principals = new HashSet<string>(StringComparer.Ordinal);
        int offset = 2;
        while (offset < file.Length)
        {
            if (file.Length - offset < 4)
            {
                return null;
            }

            int size = BinaryPrimitives.ReadInt32BigEndian(file[offset..]);
            offset += 4;
            if (size == 0)
            {
                break; // the rest of the file is unused
            }

            // A negative size is a hole left by a deleted entry.
            int length = size < 0 ? (size == int.MinValue ? -1 : -size) : size;
            if (length < 0 || length > file.Length - offset)
            {
                return null;
            }

            if (size > 0)
            {
                if (ReadPrincipal(file.Slice(offset, length), countsRealm) is not { } principal)
                {
                    return null;
                }

                principals.Add(principal);
            }

            offset += length;
        }

        return principals;
    }

    private static string? ReadPrincipal(ReadOnlySpan<byte> entry, bool countsRealm)
    {
        if (entry.Length < 2)
        {
            return null;
        }

        int components = BinaryPrimitives.ReadUInt16BigEndian(entry);
        if (countsRealm)
        {
            components--;
        }

        int offset = 2;
        if (components < 1 || ReadCounted(entry, ref offset) is not { } realm)
        {
            return null;
        }

        var name = new StringBuilder();
        for (int i = 0; i < components; i++)
        {
            if (ReadCounted(entry, ref offset) is not { } component)
            {
                return null;
            }

            name.Append(i == 0 ? "" : "/").Append(component);
        }

        return $"{name}@{realm}";
    }

    private static string? ReadCounted(ReadOnlySpan<byte> entry, ref int offset)
    {
        if (entry.Length - offset < 2)
        {
            return null;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(entry[offset..]);
        offset += 2;
        if (length > entry.Length - offset)
        {
            return null;
        }

        string text = Encoding.UTF8.GetString(entry.Slice(offset, length));
        offset += length;
        return text;
    }
}
