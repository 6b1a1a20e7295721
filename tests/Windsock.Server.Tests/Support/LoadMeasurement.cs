using Xunit;

namespace Windsock.Server.Tests.Support;

/// <summary>
/// Tests that measure latency under load run alone: test classes running in parallel on the same
/// cores would be measured with them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadMeasurement
{
    public const string Name = "load measurement";
}
