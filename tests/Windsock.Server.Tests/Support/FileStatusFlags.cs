using System.Net.Sockets;
using System.Runtime.InteropServices;
using Xunit;

namespace Windsock.Server.Tests.Support;

/// <summary>fcntl(2) F_GETFL/F_SETFL on a socket's descriptor (Linux): what the relay tests set up or check underneath .NET.</summary>
internal static partial class FileStatusFlags
{
    public const int Append = 0x400;
    public const int NonBlocking = 0x800;

    private const int FGetfl = 3;
    private const int FSetfl = 4;

    public static int Get(Socket socket)
    {
        int flags = Fcntl(Descriptor(socket), FGetfl, 0);
        Assert.True(flags >= 0, $"fcntl(F_GETFL): errno {Marshal.GetLastPInvokeError()}");
        return flags;
    }

    public static void Add(Socket socket, int flags) => Assert.Equal(0, Fcntl(Descriptor(socket), FSetfl, Get(socket) | flags));

    private static int Descriptor(Socket socket) => (int)socket.SafeHandle.DangerousGetHandle();

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
