using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// Debian's dnsmasq on 127.0.0.1 and a free port, with no upstream, no /etc/hosts and one fixed
/// answer: <see cref="Name"/> A <see cref="Answer"/>. Started in the foreground and stopped on dispose.
/// </summary>
public sealed class Dnsmasq : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/dnsmasq";
    public const string Name = "windsock-udp.test";
    public static readonly IPAddress Answer = IPAddress.Parse("192.0.2.7");

    private const int Attempts = 50;
    private readonly Process _process;

    private readonly string _name;
    private readonly IPAddress _answer;

    private Dnsmasq(Process process, int port, string name, IPAddress answer)
    {
        _process = process;
        Port = port;
        _name = name;
        _answer = answer;
    }

    public int Port { get; }

    /// <summary>Starts dnsmasq answering <paramref name="name"/> with <paramref name="answer"/> (defaults: <see cref="Name"/>, <see cref="Answer"/>), retrying on another port when one is taken.</summary>
    public static async Task<Dnsmasq> StartAsync(string name = Name, IPAddress? answer = null)
    {
        answer ??= Answer;
        for (var attempt = 0; ; attempt++)
        {
            int port;
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }

            // dnsmasq binds TCP on the same port: skip a port that is taken for TCP right now.
            using (var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                try
                {
                    tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                }
                catch (SocketException) when (attempt < 20)
                {
                    continue; // bounded: after 20 probes dnsmasq itself reports the clash
                }
                catch (SocketException)
                {
                }
            }

            var psi = ProcessRunner.StartInfo(Binary,
            [
                "--no-daemon", "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--pid-file",
                "--listen-address=127.0.0.1", "--bind-interfaces", "--user=root",
                $"--port={port.ToString(CultureInfo.InvariantCulture)}",
                $"--address=/{name}/{answer}",
            ]);
            var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dnsmasq");
            process.StandardInput.Close();
            var dnsmasq = new Dnsmasq(process, port, name, answer);
            if (await dnsmasq.AnswersAsync())
            {
                return dnsmasq;
            }

            // The port was taken between the probe and dnsmasq's bind (it exits), or it did not come up.
            var stderr = await dnsmasq.StopAsync();
            if (attempt >= 5)
            {
                throw new InvalidOperationException($"dnsmasq did not answer on 127.0.0.1:{port}\n{stderr}");
            }
        }
    }

    /// <summary>Asks dnsmasq directly (bounded attempts, each a bounded wait) until it answers.</summary>
    private async Task<bool> AnswersAsync()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port));
        var buffer = new byte[512];
        for (var attempt = 0; attempt < Attempts && !_process.HasExited; attempt++)
        {
            try
            {
                await socket.SendAsync(DnsQuery.Build(_name, (ushort)attempt), SocketFlags.None);
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                if (DnsQuery.FirstAddress(buffer.AsSpan(0, n)) is { } address && address.Equals(_answer))
                {
                    return true;
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (SocketException)
            {
                // Port-unreachable: dnsmasq has not bound yet.
            }
        }
        return false;
    }

    private async Task<string> StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        return await _process.StandardError.ReadToEndAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _process.Dispose();
        }
    }
}
