using System.Text;
using Windsock.Protocol;

namespace Windsock.Client;

/// <summary>A user name and password for RFC 1929 authentication. <see cref="ToString"/> never shows the password.</summary>
public sealed class SocksCredentials
{
    /// <summary>Credentials for RFC 1929; each is checked here, so a bad configuration fails where it is written.</summary>
    /// <param name="userName">1 to 255 bytes of UTF-8.</param>
    /// <param name="password">1 to 255 bytes of UTF-8.</param>
    /// <exception cref="ArgumentNullException"><paramref name="userName"/> or <paramref name="password"/> is null.</exception>
    /// <exception cref="ArgumentException">Either is empty or longer than 255 bytes of UTF-8.</exception>
    public SocksCredentials(string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);

        // Checked here rather than at the first handshake, so a bad configuration fails where it is written.
        if (Encoding.UTF8.GetByteCount(userName) is 0 or > SocksLimits.MaxCredentialLength)
        {
            throw new ArgumentException("An RFC 1929 user name is 1 to 255 bytes of UTF-8.", nameof(userName));
        }

        if (Encoding.UTF8.GetByteCount(password) is 0 or > SocksLimits.MaxCredentialLength)
        {
            throw new ArgumentException("An RFC 1929 password is 1 to 255 bytes of UTF-8.", nameof(password));
        }

        UserName = userName;
        Password = password;
    }

    /// <summary>The user name.</summary>
    public string UserName { get; }

    /// <summary>The password; never part of a message or <see cref="ToString"/>.</summary>
    public string Password { get; }

    /// <summary>"user:***".</summary>
    /// <returns>The user name with the password hidden.</returns>
    public override string ToString() => $"{UserName}:***";
}
