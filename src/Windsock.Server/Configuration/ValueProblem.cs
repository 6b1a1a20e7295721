namespace Windsock.Server.Configuration;

/// <summary>
/// Why a value was rejected and what to write instead. Value parsers return this rather than
/// throwing because only the loader knows the file and position to report it at.
/// </summary>
public readonly record struct ValueProblem(string Message, string Fix);
