using Xunit;

namespace Windsock.Server.Tests.Support;

/// <summary>
/// Tests that count this process's open descriptors (/proc/self/fd) run alone: sockets of test
/// classes running in parallel would otherwise be counted as leaks.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DescriptorCounting
{
    public const string Name = "descriptor counting";
}
