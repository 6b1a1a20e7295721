using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Windsock.Server.Sessions;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>
/// The outbound connect made without Socket.Connect (Linux): the socket addresses it writes, the outcome it reads and
/// the local address it reports, each held against what .NET itself does with the same socket.
/// </summary>
public sealed class ConnectNativeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static TheoryData<string> EndPoints => new() { "127.0.0.1:1080", "203.0.113.9:65535", "[::1]:443", "[fe80::1%3]:22", "[2001:db8::7]:1" };

    [Theory]
    [MemberData(nameof(EndPoints))]
    public void The_socket_address_written_is_the_one_dotnet_serializes_and_reads_back_the_same(string text)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the layout is Linux's");
        var endPoint = IPEndPoint.Parse(text);
        Span<byte> written = stackalloc byte[28];

        int length = ConnectNative.Write(endPoint, written);

        var serialized = endPoint.Serialize();
        Assert.Equal(serialized.Size, length);
        Assert.Equal(serialized.Buffer.Span[..serialized.Size].ToArray(), written[..length].ToArray());
        Assert.Equal(endPoint, ConnectNative.Read(written[..length]));
    }

    [Fact]
    public void A_short_or_foreign_address_reads_as_unknown()
    {
        Assert.Null(ConnectNative.Read(new byte[8]));
        var unix = new byte[28];
        unix[0] = 1; // AF_UNIX
        Assert.Null(ConnectNative.Read(unix));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task A_native_connect_finishes_and_reports_the_address_the_destination_sees(string loopback)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the native connect is Linux only");
        var address = IPAddress.Parse(loopback);
        using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(4);
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };

        int error = ConnectNative.Connect(socket.SafeHandle, (IPEndPoint)listener.LocalEndPoint!);

        Assert.True(error is 0 or ConnectNative.EINPROGRESS, $"errno {error}");
        await WaitFinishedAsync(socket);
        using var accepted = await listener.AcceptAsync().WaitAsync(Bound);
        Assert.Equal(accepted.RemoteEndPoint, ConnectNative.LocalEndPointOf(socket));
        Assert.Null(socket.LocalEndPoint); // .NET was not told: why the command asks ConnectNative
    }

    [Fact]
    public async Task A_refused_native_connect_throws_what_dotnet_would()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the native connect is Linux only");
        IPEndPoint closed;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closed = (IPEndPoint)probe.LocalEndPoint!; // bound, never listening: connecting is refused
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
        int error = ConnectNative.Connect(socket.SafeHandle, closed);
        if (error != ConnectNative.EINPROGRESS)
        {
            Assert.Equal(SocketError.ConnectionRefused, ConnectNative.SocketErrorOf(error));
            return;
        }

        var thrown = await Assert.ThrowsAsync<SocketException>(() => WaitFinishedAsync(socket));
        Assert.Equal(SocketError.ConnectionRefused, thrown.SocketErrorCode);
    }

    [Theory]
    [InlineData(111, SocketError.ConnectionRefused)]
    [InlineData(110, SocketError.TimedOut)]
    [InlineData(101, SocketError.NetworkUnreachable)]
    [InlineData(113, SocketError.HostUnreachable)]
    [InlineData(99, SocketError.AddressNotAvailable)]
    [InlineData(1, SocketError.AccessDenied)]
    [InlineData(4242, SocketError.SocketError)]
    public void Connect_errors_become_the_socket_errors_dotnet_reports(int errno, SocketError expected) =>
        Assert.Equal(expected, ConnectNative.SocketErrorOf(errno));

    private static async Task WaitFinishedAsync(Socket socket)
    {
        var clock = Stopwatch.StartNew();
        while (!ConnectNative.Finished(socket))
        {
            Assert.True(clock.Elapsed < Bound, "the connect did not finish");
            await Task.Delay(5);
        }
    }
}
