namespace Windsock.Server.Configuration;

/// <summary>A <c>[section]</c> of the configuration file and its keys, in the order docs/configuration.md lists them.</summary>
internal sealed record ConfigSection(string Name, IReadOnlyList<ConfigKey> Keys)
{
    public ConfigKey? Find(string name) => Keys.FirstOrDefault(k => k.Name == name);
}
