using System.Buffers.Binary;
using Windsock.Server.Gssapi;

namespace Windsock.Fuzz;

/// <summary>
/// The keytab principal reader (<see cref="KeytabPrincipals"/>), fed a file the administrator names
/// (<c>gssapi.keytab</c>) whose principals decide what the GSSAPI acceptor accepts. Rules: nothing throws; only
/// a file that starts with a version it knows (0x0501, 0x0502) reads as a keytab; and the format's own ways of leaving bytes unused change nothing: the same file behind a hole (a
/// negative size, as a deleted entry leaves) reads the same, and a keytab that read followed by a zero size and
/// junk reads the same.
/// </summary>
public static class KeytabTarget
{
    public static void Run(ReadOnlyMemory<byte> input)
    {
        var file = input.Span;
        var principals = KeytabPrincipals.TryRead(file);
        bool known = file.Length >= 2 && file[0] == 0x05 && file[1] is 0x01 or 0x02;
        FuzzFailure.Unless(principals is null || known, $"a file starting {Convert.ToHexString(file[..Math.Min(2, file.Length)])} read as a keytab");
        if (!known)
        {
            return;
        }

        // Version, a hole as long as the entries, the entries again: the hole is skipped.
        var entries = file[2..];
        byte[] behindHole = [file[0], file[1], 0, 0, 0, 0, .. entries, .. entries];
        BinaryPrimitives.WriteInt32BigEndian(behindHole.AsSpan(2), -entries.Length);
        FuzzFailure.Unless(Same(principals, KeytabPrincipals.TryRead(behindHole)), "a hole before the entries changed what the file holds");

        if (principals is not null)
        {
            byte[] withJunk = [.. file, 0, 0, 0, 0, .. file];
            FuzzFailure.Unless(Same(principals, KeytabPrincipals.TryRead(withJunk)), "bytes after a zero size changed what the file holds");
        }
    }

    private static bool Same(IReadOnlySet<string>? a, IReadOnlySet<string>? b) => a is null ? b is null : b is not null && a.SetEquals(b);
}
