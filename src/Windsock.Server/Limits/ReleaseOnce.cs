namespace Windsock.Server.Limits;

/// <summary>A held slot of a limit table; disposing gives it back, once, however often it is disposed.</summary>
internal sealed class ReleaseOnce(Action release) : IDisposable
{
    private int _released;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            release();
        }
    }
}
