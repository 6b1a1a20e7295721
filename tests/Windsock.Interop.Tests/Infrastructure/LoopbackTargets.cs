using Xunit;

[assembly: AssemblyFixture(typeof(Windsock.Interop.Tests.Infrastructure.LoopbackTargets))]

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>The destinations every test proxies to, shared by the whole assembly.</summary>
public sealed class LoopbackTargets : IAsyncDisposable
{
    public LoopbackHttpServer Http { get; } = new();

    public LoopbackEchoServer Echo { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await Http.DisposeAsync();
        await Echo.DisposeAsync();
    }
}
