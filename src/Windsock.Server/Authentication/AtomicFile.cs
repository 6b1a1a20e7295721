using System.Security.Cryptography;
using Windsock.Server.Accounts;

namespace Windsock.Server.Authentication;

/// <summary>
/// Replaces a file's content so that readers (a reloading server) see either the old or the new
/// file, never a half-written one: write a temporary file in the same folder (same file system,
/// so the rename is atomic), flush it to disk, then rename it over the target. The new file keeps the
/// old one's owner and group too: a root:windsock users file that came back root:root after an edit
/// would lock the service out of it at the next reload.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// A new file gets <c>createMode</c> (and <c>createOwner</c> when given); an existing file keeps its
    /// own mode, owner and group.
    /// </summary>
    /// <exception cref="IOException">Writing failed, or the owner and group could not be kept; the old file is untouched.</exception>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, UnixFileMode createMode, (uint UserId, uint GroupId)? createOwner = null)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException("path has no folder", nameof(path));
        string temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp");

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        UnixFileMode mode = createMode;
        (uint UserId, uint GroupId)? owner = createOwner;
        if (!OperatingSystem.IsWindows())
        {
            if (File.Exists(fullPath))
            {
                mode = File.GetUnixFileMode(fullPath);
                owner = FileOwnership.Get(fullPath);
            }

            // Created with the final mode from the start, so the secret never sits in a readable file.
            options.UnixCreateMode = mode;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                // UnixCreateMode is filtered by the umask; set it exactly.
                File.SetUnixFileMode(temp, mode);
                KeepOwner(temp, fullPath, owner);
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void KeepOwner(string temp, string path, (uint UserId, uint GroupId)? owner)
    {
        if (owner is not { } wanted || FileOwnership.Get(temp) == wanted)
        {
            return;
        }

        try
        {
            FileOwnership.Set(temp, wanted.UserId, wanted.GroupId);
        }
        catch (IOException e)
        {
            throw new IOException(
                $"{path} belongs to {UnixAccounts.UserName(wanted.UserId)}:{UnixAccounts.GroupName(wanted.GroupId)} and a rewritten copy could not keep that ({e.Message}); edit it as root or as its owner",
                e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
