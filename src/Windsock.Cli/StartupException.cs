namespace Windsock.Cli;

/// <summary>The server cannot start as configured; the message says where and how to fix it.</summary>
internal sealed class StartupException : Exception
{
    public StartupException(string message)
        : base(message)
    {
    }

    public StartupException()
    {
    }

    public StartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
