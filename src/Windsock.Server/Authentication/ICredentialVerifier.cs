namespace Windsock.Server.Authentication;

/// <summary>Checks a user name and password (RFC 1929). Implementations take the same time for unknown users.</summary>
public interface ICredentialVerifier
{
    bool Verify(string userName, string password);
}
