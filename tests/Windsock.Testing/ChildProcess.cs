using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Testing;

/// <summary>What the tests do with the programs they start themselves (Dante, microsocks, sshd, curl, ...): one copy each.</summary>
public static class ChildProcess
{
    /// <summary>No shell, every standard stream redirected (the test reads what the program says), the arguments as given.</summary>
    public static ProcessStartInfo StartInfo(string path, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>
    /// A separate process gives no readiness signal we can await, so connect to <paramref name="endPoint"/> until it
    /// accepts: a retry bounded by <paramref name="cancellationToken"/>, which fails at once if the process exits
    /// (with the message <paramref name="whyExited"/> makes: its exit code, what it said).
    /// </summary>
    public static async Task WaitUntilAcceptingAsync(Process process, IPEndPoint endPoint, Func<Task<string>> whyExited, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(await whyExited());
            }

            using var probe = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(endPoint, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
            }
        }
    }
}
