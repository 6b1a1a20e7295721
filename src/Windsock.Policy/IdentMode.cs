namespace Windsock.Policy;

/// <summary>
/// RFC 1413 ident for a rule, after CSTC sockd's ?=n / ?=i / ?=I. The engine only carries it; the
/// server performs the lookup. Off: no lookup. Check: deny when ident answers with another user
/// than the client claimed, allow when it cannot be reached. Require: deny unless ident answers
/// with the same user.
/// </summary>
public enum IdentMode
{
    Off,
    Check,
    Require,
}

public static class IdentModes
{
    public static bool TryParse(string text, out IdentMode mode, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        switch (text)
        {
            case "off": mode = IdentMode.Off; return true;
            case "check": mode = IdentMode.Check; return true;
            case "require": mode = IdentMode.Require; return true;
            default:
                mode = IdentMode.Off;
                error = $"\"{text}\" is not an ident mode; write \"off\", \"check\" or \"require\"";
                return false;
        }
    }

    public static string Name(this IdentMode mode) => mode switch
    {
        IdentMode.Off => "off",
        IdentMode.Check => "check",
        _ => "require",
    };
}
