using System.Runtime.InteropServices;

namespace Windsock.Server.Sessions;

/// <summary>
/// glibc's malloc_trim(3): the free memory at the top and in the middle of malloc's heaps and per-thread arenas given
/// back to the system (MADV_DONTNEED). What the runtime freed there (the JIT's scratch memory for the methods it
/// compiled under load, buffers of threads that came and went) otherwise stays resident; an idle server never mallocs
/// it again. Linux with glibc only: elsewhere (musl has no malloc_trim) a no-op.
/// </summary>
internal static partial class NativeHeapTrim
{
    private static int _unavailable;

    /// <summary>Trims malloc's heaps; false where there is no malloc_trim.</summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref _unavailable) != 0)
        {
            return false;
        }

        try
        {
            _ = MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            Volatile.Write(ref _unavailable, 1);
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
