using System.Runtime.InteropServices;

namespace Windsock.Cli;

/// <summary>
/// SIGHUP ignored by whoever started the server (<c>nohup windsock serve</c>, a shell with <c>trap '' HUP</c>): the
/// ignore is inherited across exec, and .NET then never delivers the signal to a registration, so SIGHUP would
/// silently not reload. For <c>serve</c>, SIGHUP means reload (never exit), so the inherited ignore is put back to the
/// default before the reload handler registers, as nginx and sshd take SIGHUP whatever they inherited.
/// </summary>
internal static partial class InheritedHangup
{
    private const int SigHup = 1;
    private const nint SigDefault = 0;
    private const nint SigIgnore = 1;

    /// <summary>True when SIGHUP was ignored and is now back to the default (Linux; false elsewhere and otherwise).</summary>
    public static unsafe bool Restore()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        // struct sigaction starts with the handler on Linux; the rest (mask, flags, restorer) is room for the kernel's answer.
        byte* current = stackalloc byte[256];
        if (SigAction(SigHup, null, current) != 0 || *(nint*)current != SigIgnore)
        {
            return false;
        }

        return Signal(SigHup, SigDefault) == SigIgnore;
    }

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static unsafe partial int SigAction(int signal, byte* action, byte* old);

    [LibraryImport("libc", EntryPoint = "signal", SetLastError = true)]
    private static partial nint Signal(int signal, nint handler);
}
