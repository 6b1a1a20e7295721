namespace Windsock.Server.Accounts;

/// <summary>A user of this host as the server runs as it: its name, its ids and the group it runs with.</summary>
public sealed record UnixAccount(string UserName, uint UserId, string GroupName, uint GroupId)
{
    /// <summary>"windsock:windsock (uid 999, gid 999)", as messages show it.</summary>
    public string ToDisplay() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{UserName}:{GroupName} (uid {UserId}, gid {GroupId})");
}
