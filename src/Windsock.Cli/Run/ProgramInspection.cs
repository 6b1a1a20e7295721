using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Windsock.Cli.Run;

/// <summary>What kind of program <c>windsock run</c> was asked to run, as far as interception goes.</summary>
internal enum ProgramKind
{
    /// <summary>A dynamically linked ELF of this machine's architecture: the preload reaches it.</summary>
    Dynamic,

    /// <summary>Statically linked: no dynamic loader, so no LD_PRELOAD.</summary>
    Static,

    /// <summary>A Go program: its net package makes system calls itself, past any preloaded library.</summary>
    Go,

    /// <summary>setuid or setgid: the loader ignores LD_PRELOAD for it (secure execution).</summary>
    SetId,

    /// <summary>An ELF for another class or machine (e.g. 32-bit): our 64-bit preload cannot load into it.</summary>
    ForeignArchitecture,

    /// <summary>Not an ELF file nor a script: exec decides.</summary>
    Unknown,
}

/// <summary>
/// Reads a program's ELF header (and a script's interpreter) to choose an engine, without running
/// it. A program that the preload cannot cover is refused, never run unproxied: the loader would
/// silently skip the library for a static, setuid or 32-bit program, and a Go program would
/// connect around it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed record ProgramInspection(string Path, ProgramKind Kind, string Description)
{
    private const ushort PtInterp = 3;

    /// <summary>The program named on the command line: a path, or a name searched in PATH.</summary>
    public static string? Locate(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? System.IO.Path.GetFullPath(program) : null;
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = System.IO.Path.Combine(dir, program);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }

        return null;
    }

    public static ProgramInspection Inspect(string path) => Inspect(path, depth: 0);

    private static ProgramInspection Inspect(string path, int depth)
    {
        UnixFileMode mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.SetUser | UnixFileMode.SetGroup)) != 0)
        {
            return new(path, ProgramKind.SetId, $"{path} is {((mode & UnixFileMode.SetUser) != 0 ? "setuid" : "setgid")}: the dynamic loader ignores LD_PRELOAD for it, so it would run unproxied");
        }

        byte[] head = new byte[64];
        int read;
        using (FileStream file = File.OpenRead(path))
        {
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        if (read >= 2 && head[0] == '#' && head[1] == '!' && depth == 0)
        {
            return InspectScript(path);
        }

        if (read < 64 || head[0] != 0x7F || head[1] != 'E' || head[2] != 'L' || head[3] != 'F')
        {
            return new(path, ProgramKind.Unknown, $"{path} is not an ELF program");
        }

        if (head[4] != 2 || head[5] != 1 || BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(18)) != ThisMachine)
        {
            return new(path, ProgramKind.ForeignArchitecture, $"{path} is not a 64-bit little-endian ELF for {RuntimeInformation.ProcessArchitecture}, and the preload is");
        }

        bool go;
        bool dynamic;
        using (FileStream file = File.OpenRead(path))
        {
            dynamic = HasInterpreter(file, head);
            go = HasGoSection(file, head);
        }

        if (go)
        {
            return new(path, ProgramKind.Go, $"{path} is a Go program: its net package makes its own system calls, which a preloaded library does not see");
        }

        return dynamic
            ? new(path, ProgramKind.Dynamic, $"{path} is dynamically linked")
            : new(path, ProgramKind.Static, $"{path} is statically linked: there is no dynamic loader to preload a library");
    }

    private static ProgramInspection InspectScript(string path)
    {
        string first = File.ReadLines(path).FirstOrDefault() ?? "";
        string[] words = first[2..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return new(path, ProgramKind.Unknown, $"{path} is a script without an interpreter");
        }

        string? interpreter = words[0];
        if (System.IO.Path.GetFileName(interpreter) == "env")
        {
            string? named = words.Skip(1).FirstOrDefault(w => !w.StartsWith('-'));
            interpreter = named is null ? null : Locate(named);
        }

        if (interpreter is null || !File.Exists(interpreter))
        {
            return new(path, ProgramKind.Unknown, $"{path}: its interpreter ({first[2..].Trim()}) was not found");
        }

        ProgramInspection inner = Inspect(interpreter, depth: 1);
        return inner with { Path = path, Description = $"{path} is a script for {inner.Description}" };
    }

    private static ushort ThisMachine => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.Arm64 => 183,
        _ => 62, // x86-64
    };

    private static bool HasInterpreter(FileStream file, byte[] head)
    {
        long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(32));
        int size = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(54));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(56));
        byte[] entry = new byte[Math.Max(size, 4)];
        for (int i = 0; i < count && i < 4096; i++)
        {
            file.Position = offset + (long)i * size;
            if (file.ReadAtLeast(entry, 4, throwOnEndOfStream: false) < 4)
            {
                return false;
            }

            if (BinaryPrimitives.ReadUInt32LittleEndian(entry) == PtInterp)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Go's linker always writes .go.buildinfo (and .note.go.buildid); both mark a Go program, cgo or not.</summary>
    private static bool HasGoSection(FileStream file, byte[] head)
    {
        long sectionOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(40));
        int size = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(58));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(60));
        int namesIndex = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(62));
        if (sectionOffset == 0 || size < 64 || count == 0 || namesIndex >= count || count > 65535)
        {
            return false;
        }

        byte[] table = new byte[size * count];
        file.Position = sectionOffset;
        if (file.ReadAtLeast(table, table.Length, throwOnEndOfStream: false) < table.Length)
        {
            return false;
        }

        ReadOnlySpan<byte> names = table.AsSpan(namesIndex * size, size);
        long namesOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(names[24..]);
        long namesSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(names[32..]);
        if (namesSize is <= 0 or > 1 << 20)
        {
            return false;
        }

        byte[] strings = new byte[namesSize];
        file.Position = namesOffset;
        if (file.ReadAtLeast(strings, strings.Length, throwOnEndOfStream: false) < strings.Length)
        {
            return false;
        }

        for (int i = 0; i < count; i++)
        {
            int nameAt = (int)BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(i * size));
            if (nameAt >= strings.Length)
            {
                continue;
            }

            int end = Array.IndexOf(strings, (byte)0, nameAt);
            string name = Encoding.ASCII.GetString(strings, nameAt, (end < 0 ? strings.Length : end) - nameAt);
            if (name is ".go.buildinfo" or ".note.go.buildid")
            {
                return true;
            }
        }

        return false;
    }
}
