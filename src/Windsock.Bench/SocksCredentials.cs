namespace Windsock.Bench;

/// <summary>
/// RFC 1929 username/password. Both must fit in 255 bytes of UTF-8.
/// </summary>
public sealed record SocksCredentials(string Username, string Password);
