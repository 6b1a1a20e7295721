using System.Text;
using Windsock.Protocol;

namespace Windsock.Client;

/// <summary>A user name and password for RFC 1929 authentication. <see cref="ToString"/> never shows the password.</summary>
public sealed class SocksCredentials
{
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

    public string UserName { get; }

    public string Password { get; }

    public override string ToString() => $"{UserName}:***";
}
