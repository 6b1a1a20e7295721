using System.Text;

namespace Windsock.Cli;

/// <summary>
/// The request log's file (<c>[log] file</c>): appended to, and reopened by path on <see cref="RequestReopen"/>
/// (SIGUSR1), so that logrotate can move the file away and the next line starts the new one. The request log
/// writes from one loop, so the reopen happens there, between lines, and needs no lock.
/// </summary>
internal sealed class ReopeningLogFile : TextWriter
{
    private readonly string _path;
    private StreamWriter _writer;
    private int _reopen;

    public ReopeningLogFile(string path)
    {
        _path = path;
        _writer = Open(path);
    }

    public override Encoding Encoding => _writer.Encoding;

    /// <summary>Asks for the file to be reopened before the next line (any thread, e.g. a signal handler).</summary>
    public void RequestReopen() => Interlocked.Exchange(ref _reopen, 1);

    public override void Write(char value)
    {
        ReopenIfAsked();
        _writer.Write(value);
    }

    public override void Write(string? value)
    {
        ReopenIfAsked();
        _writer.Write(value);
    }

    public override Task WriteLineAsync(string? value)
    {
        ReopenIfAsked();
        return _writer.WriteLineAsync(value);
    }

    public override void Flush() => _writer.Flush();

    public override Task FlushAsync() => _writer.FlushAsync();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writer.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Opens for appending, creating it readable by its owner and group only (the log names users and addresses).</summary>
    public static StreamWriter Open(string path)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        }

        return new StreamWriter(new FileStream(path, options), new UTF8Encoding(false)) { AutoFlush = false };
    }

    private void ReopenIfAsked()
    {
        if (Interlocked.Exchange(ref _reopen, 0) == 0)
        {
            return;
        }

        StreamWriter next;
        try
        {
            next = Open(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Keep writing to the old file rather than losing lines; the next signal tries again.
            return;
        }

        _writer.Flush();
        _writer.Dispose();
        _writer = next;
    }
}
