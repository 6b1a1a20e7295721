namespace Windsock.Cli;

/// <summary>
/// Where Linux-PAM looks for a service's configuration: /etc/pam.d first, then the distribution's
/// vendor folder. A name found in neither silently gets /etc/pam.d/other, which on Debian is the
/// system's common-* stack and elsewhere often pam_deny: worth a warning at start.
/// </summary>
internal static class PamServiceFiles
{
    private static readonly string[] Folders = ["/etc/pam.d", "/usr/lib/pam.d"];

    public static bool Exists(string service) => Folders.Any(folder => File.Exists(Path.Combine(folder, service)));
}
