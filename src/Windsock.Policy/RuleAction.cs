namespace Windsock.Policy;

/// <summary>What a rule does with a request it matches.</summary>
public enum RuleAction
{
    Deny,
    Allow,
}

public static class RuleActions
{
    public static bool TryParse(string text, out RuleAction action, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        switch (text)
        {
            case "allow":
                action = RuleAction.Allow;
                return true;
            case "deny":
                action = RuleAction.Deny;
                return true;
            default:
                action = RuleAction.Deny;
                error = $"\"{text}\" is not an action; write \"allow\" or \"deny\"";
                return false;
        }
    }

    public static string Name(this RuleAction action) => action == RuleAction.Allow ? "allow" : "deny";
}
