namespace Windsock.Server.Authentication;

/// <summary>What <see cref="UserFile.SetPassword"/> did, so the command can say it.</summary>
public enum UserFileChange
{
    Added,
    Changed,
}
