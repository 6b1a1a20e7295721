using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>Thread-safe failure counter that keeps the first error's description.</summary>
public sealed class ErrorTally
{
    private int _count;
    private string? _first;

    public int Count => Volatile.Read(ref _count);

    public string? First => Volatile.Read(ref _first);

    public void Record(Exception exception)
    {
        Interlocked.Increment(ref _count);
        Interlocked.CompareExchange(ref _first, Describe(exception), null);
    }

    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            SocketException se => $"{se.SocketErrorCode}: {se.Message}",
            OperationCanceledException => "timed out",
            _ => $"{exception.GetType().Name}: {exception.Message}",
        };
    }
}
