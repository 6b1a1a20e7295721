using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>The Debian package's conffile (packaging/windsock.toml) is the embedded safe default, written out.</summary>
public sealed class PackagedConfigTests
{
    [Fact]
    public void The_packaged_configuration_is_the_embedded_default()
    {
        string path = Path.Combine(RepositoryRoot(), "packaging", "windsock.toml");

        ServerOptions packaged = ConfigLoader.Load(path);

        Assert.Equal(ServerOptions.Default.Listen, packaged.Listen);
        Assert.Equal(ServerOptions.Default.AllowedClients, packaged.AllowedClients);
        Assert.False(packaged.RequiresAuthentication);
        Assert.False(packaged.AllowOpenProxy);
        Assert.Null(packaged.Rules);
        Assert.Null(packaged.RunAs);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Windsock.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"Windsock.slnx above {AppContext.BaseDirectory}");
    }
}
