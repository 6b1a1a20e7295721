using Xunit;

namespace Windsock.Client.Tests.Support;

/// <summary>Every wait in these tests ends: a failing peer shows up as a timeout, never a hung run.</summary>
internal static class Bounded
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static CancellationTokenSource Cts()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(Timeout);
        return cts;
    }
}
