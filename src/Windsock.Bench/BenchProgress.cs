namespace Windsock.Bench;

/// <summary>
/// Live counters a load updates as it goes, for the progress line. Cheap and lock-free; the
/// final numbers come from the load's result, never from here.
/// </summary>
public sealed class BenchProgress
{
    private long _succeeded;
    private long _failed;
    private Func<long>? _bytes;
    private string _phase = "";

    public long SucceededCount => Interlocked.Read(ref _succeeded);

    public long FailedCount => Interlocked.Read(ref _failed);

    /// <summary>Bytes delivered so far, when the load counts bytes (throughput).</summary>
    public long? Bytes => Volatile.Read(ref _bytes)?.Invoke();

    /// <summary>What the load is doing now: "opening", "holding", ...; empty for a plain rate load.</summary>
    public string Phase => Volatile.Read(ref _phase);

    public void Succeeded() => Interlocked.Increment(ref _succeeded);

    public void Failed() => Interlocked.Increment(ref _failed);

    public void CountBytesWith(Func<long> bytes) => Volatile.Write(ref _bytes, bytes);

    public void SetPhase(string phase) => Volatile.Write(ref _phase, phase);
}
