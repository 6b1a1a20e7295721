using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Windsock.Server.Ident;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Ident;

public class IdentClientTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Loopback, 40001);
    private static readonly IPEndPoint Server = new(IPAddress.Loopback, 1080);

    private static IdentClient ClientFor(int port, double timeoutSeconds = 5) => new(TimeSpan.FromSeconds(timeoutSeconds), port, TimeProvider.System);

    [Fact]
    public async Task Sends_the_rfc_query_from_the_listener_address_and_reads_the_user()
    {
        await using var identd = new ScriptedIdentd(q => ScriptedIdentd.UserReply(q, "alice"));

        var result = await ClientFor(identd.Port).LookupAsync(Client, new IPEndPoint(IPAddress.Parse("127.0.0.5"), 1080), CancellationToken.None);

        Assert.Equal(new IdentResult(IdentOutcome.UserId, "alice", "identd says alice"), result);
        Assert.True(identd.Queries.TryDequeue(out var query));
        Assert.Equal("40001 , 1080", query.Query);
        Assert.Equal(IPAddress.Parse("127.0.0.5"), query.From.Address);
    }

    [Theory]
    [InlineData("40001 , 1080 : ERROR : NO-USER\r\n", IdentOutcome.Error)]
    [InlineData("40001 , 1080 : ERROR : HIDDEN-USER\r\n", IdentOutcome.Error)]
    [InlineData("40001 , 9999 : USERID : UNIX : alice\r\n", IdentOutcome.Malformed)] // other ports
    [InlineData("HTTP/1.0 400 Bad Request\r\n", IdentOutcome.Malformed)]
    [InlineData("40001 , 1080 : USERID : UNIX : alice", IdentOutcome.Unreachable)]    // closes before the line ends
    public async Task Error_and_broken_answers_are_told_apart(string reply, IdentOutcome expected)
    {
        await using var identd = new ScriptedIdentd(_ => reply);
        var result = await ClientFor(identd.Port).LookupAsync(Client, Server, CancellationToken.None);
        Assert.Equal(expected, result.Outcome);
        Assert.Null(result.UserId);
    }

    [Fact]
    public async Task A_silent_identd_times_out()
    {
        await using var identd = new ScriptedIdentd(_ => null);
        var result = await ClientFor(identd.Port, 0.3).LookupAsync(Client, Server, CancellationToken.None);
        Assert.Equal(IdentOutcome.Unreachable, result.Outcome);
        Assert.Contains("did not answer", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_identd_is_unreachable()
    {
        var result = await ClientFor(FreePort.Closed()).LookupAsync(Client, Server, CancellationToken.None);
        Assert.Equal(IdentOutcome.Unreachable, result.Outcome);
    }

    [Fact]
    public async Task Real_oidentd_names_the_owner_of_a_loopback_connection()
    {
        const string oidentd = "/usr/sbin/oidentd";
        if (!File.Exists(oidentd))
        {
            Assert.Skip("oidentd is not installed; ./test.sh installs it (Debian package oidentd)");
        }

        int port = FreePort.Closed();
        using var daemon = Process.Start(new ProcessStartInfo(oidentd, ["-i", "-S", "-q", "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            // A real connection whose owner (this process's user) oidentd can look up.
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            using var connection = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await connection.ConnectAsync(listener.LocalEndPoint!);
            using var accepted = await listener.AcceptAsync();

            var client = ClientFor(port);
            IdentResult result = default;
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (!patience.IsCancellationRequested)
            {
                result = await client.LookupAsync((IPEndPoint)connection.LocalEndPoint!, (IPEndPoint)listener.LocalEndPoint!, CancellationToken.None);
                if (result.Outcome != IdentOutcome.Unreachable)
                {
                    break; // oidentd is up
                }

                await Task.Delay(50, patience.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            Assert.Equal(IdentOutcome.UserId, result.Outcome);
            Assert.Equal(Environment.UserName, result.UserId);
        }
        finally
        {
            daemon.Kill();
            await daemon.WaitForExitAsync();
        }
    }
}
