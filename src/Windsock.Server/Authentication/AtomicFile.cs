using System.Security.Cryptography;

namespace Windsock.Server.Authentication;

/// <summary>
/// Replaces a file's content so that readers (a reloading server) see either the old or the new
/// file, never a half-written one: write a temporary file in the same folder (same file system,
/// so the rename is atomic), flush it to disk, then rename it over the target.
/// </summary>
internal static class AtomicFile
{
    /// <summary>A new file gets <c>createMode</c>; an existing file keeps its own mode.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, UnixFileMode createMode)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException("path has no folder", nameof(path));
        string temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp");

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        UnixFileMode mode = createMode;
        if (!OperatingSystem.IsWindows())
        {
            if (File.Exists(fullPath))
            {
                mode = File.GetUnixFileMode(fullPath);
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
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
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
