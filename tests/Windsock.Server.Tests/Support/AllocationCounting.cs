using Xunit;

namespace Windsock.Server.Tests.Support;

/// <summary>
/// Tests that count the bytes the whole process allocates (GC.GetTotalAllocatedBytes) run alone: a test
/// class running in parallel would be counted with them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCounting
{
    public const string Name = "allocation counting";
}
