using System.Diagnostics.CodeAnalysis;

namespace Windsock.Policy;

/// <summary>The commands a rule applies to: connect, bind, udp, resolve, resolve-ptr, ping, traceroute.</summary>
public sealed class CommandSet
{
    private readonly uint _bits;

    public CommandSet(IEnumerable<PolicyCommand> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        foreach (var command in commands)
        {
            _bits |= 1u << (int)command;
        }
    }

    public static CommandSet Of(params PolicyCommand[] commands) => new(commands);

    public bool Contains(PolicyCommand command) => (_bits & (1u << (int)command)) != 0;

    public static bool TryParse(IEnumerable<string> items, [NotNullWhen(true)] out CommandSet? set, out int errorIndex, out string? error)
    {
        ArgumentNullException.ThrowIfNull(items);
        set = EnumSet.TryParse<PolicyCommand>(items, PolicyCommands.TryParse, "command", out var values, out errorIndex, out error) ? new CommandSet(values) : null;
        return set is not null;
    }

    public static bool TryParse(string text, [NotNullWhen(true)] out CommandSet? set, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text.Split(',', StringSplitOptions.TrimEntries), out set, out _, out error);
    }

    public override string ToString() =>
        "{" + string.Join(",", Enum.GetValues<PolicyCommand>().Where(Contains).Select(c => c.Name())) + "}";
}
