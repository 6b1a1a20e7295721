namespace Windsock.Fuzz;

/// <summary>A target's invariant broke: AFL++ counts the unhandled exception as a crash and keeps the input.</summary>
public sealed class FuzzFailure(string message) : Exception(message)
{
    public static void Unless(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzFailure(message);
        }
    }
}
