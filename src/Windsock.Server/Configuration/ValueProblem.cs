namespace Windsock.Server.Configuration;

/// <summary>
/// Why a value was rejected and what to write instead. Value parsers return this rather than
/// throwing because only the loader knows the file and position to report it at.
/// </summary>
public readonly record struct ValueProblem(string Message, string Fix)
{
    /// <summary>
    /// The Windsock.Policy parsers' "message; fix" text as a problem (they are shared with the client and
    /// <c>windsock check</c>, which print it whole).
    /// </summary>
    public static ValueProblem FromPolicyError(string? error, string fallbackFix)
    {
        error ??= "invalid value";
        int semicolon = error.IndexOf("; ", StringComparison.Ordinal);
        return semicolon < 0 ? new ValueProblem(error, fallbackFix) : new ValueProblem(error[..semicolon], error[(semicolon + 2)..]);
    }
}
