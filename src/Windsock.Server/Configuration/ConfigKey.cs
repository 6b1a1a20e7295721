namespace Windsock.Server.Configuration;

/// <summary>
/// One key of a configuration section and how its value is read into <see cref="ServerOptions"/>. The reader
/// returns null when it rejected the value (the problem is recorded in the <see cref="ConfigReader"/>).
/// </summary>
internal sealed record ConfigKey(string Name, ConfigKey.ValueReader Read)
{
    /// <param name="reader">The parse's problem collector and value readers.</param>
    /// <param name="key">"section.name", as messages show it.</param>
    /// <param name="name">The key's name alone.</param>
    /// <param name="entry">The key and its value in the file.</param>
    /// <param name="options">The options so far.</param>
    public delegate ServerOptions? ValueReader(ConfigReader reader, string key, string name, TomlEntry entry, ServerOptions options);
}
