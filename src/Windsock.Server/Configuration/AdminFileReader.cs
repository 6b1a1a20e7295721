using System.Globalization;
using System.Text;
using Windsock.Server.Accounts;

namespace Windsock.Server.Configuration;

/// <summary>
/// Reads a file the administrator points us at (configuration, users) into text, turning every
/// way that can go wrong into a <see cref="ConfigException"/> that says what to do. The size cap
/// guards against a path like /dev/zero, and invalid UTF-8 is an error with its line rather than
/// a silent U+FFFD that would, for example, make a password line never match.
/// </summary>
internal static class AdminFileReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string ReadText(string path, string what, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            throw new ConfigException("(empty path)", $"no {what} path given", $"name the {what}");
        }

        if (Directory.Exists(path))
        {
            throw new ConfigException(path, $"{what} is a directory", $"name the file inside it, e.g. {Path.Combine(path, "windsock.toml")}");
        }

        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            bytes = ReadCapped(stream, path, what, maxBytes);
        }
        catch (FileNotFoundException e)
        {
            throw new ConfigException(path, $"{what} does not exist", "check the path, or create the file", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ConfigException(path, $"the folder of the {what} does not exist", "check the path", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ConfigException(path, $"permission denied reading the {what} as {UnixAccounts.DescribeSelf()}", ReadableFix(path), e);
        }
        catch (IOException e)
        {
            throw new ConfigException(path, $"cannot read the {what}: {e.Message}", "check that the path names a regular, readable file", e);
        }

        ReadOnlySpan<byte> content = bytes;
        if (content.StartsWith("\xEF\xBB\xBF"u8))
        {
            content = content[3..];
        }

        try
        {
            return StrictUtf8.GetString(content);
        }
        catch (DecoderFallbackException e)
        {
            int index = Math.Max(0, e.Index);
            int line = 1;
            int column = 1;
            for (int i = 0; i < index && i < content.Length; i++)
            {
                if (content[i] == (byte)'\n')
                {
                    line++;
                    column = 1;
                }
                else if ((content[i] & 0xC0) != 0x80)
                {
                    column++;
                }
            }

            throw new ConfigException(path, line, column, $"the {what} is not valid UTF-8", "save the file as UTF-8", e);
        }
    }

    /// <summary>The service reads its files through its group (root:windsock 0640), so that is the fix named.</summary>
    private static string ReadableFix(string path)
    {
        if (!OperatingSystem.IsLinux() || UnixAccounts.EffectiveUserId == 0)
        {
            return "make the file readable by the user windsock runs as";
        }

        string group = UnixAccounts.GroupName(UnixAccounts.EffectiveGroupId);
        return $"let this group read it (chgrp {group} {path} && chmod g+r {path}), and its folders be searched (chmod o+x or g+x on each)";
    }

    private static byte[] ReadCapped(FileStream stream, string path, string what, int maxBytes)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new ConfigException(path, string.Create(CultureInfo.InvariantCulture, $"the {what} is larger than {maxBytes / 1024} KiB"), "check that the path names the right file");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
