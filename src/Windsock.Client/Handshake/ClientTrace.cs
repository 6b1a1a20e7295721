using System.Globalization;

namespace Windsock.Client.Handshake;

/// <summary>
/// A per-call narration of what the client does with each hop, for `windsock connect --verbose`.
/// Flows with the async call (AsyncLocal), so concurrent calls never mix their lines, and costs a
/// null check when nobody listens.
/// </summary>
internal static class ClientTrace
{
    private static readonly AsyncLocal<Action<string>?> Sink = new();

    public static Action<string>? Current
    {
        get => Sink.Value;
        set => Sink.Value = value;
    }

    public static void Write(string line) => Sink.Value?.Invoke(line);

    public static void Write(HopContext hop, string what)
    {
        if (Sink.Value is { } sink)
        {
            sink(hop.Count == 1
                ? $"{hop.Hop}: {what}"
                : string.Create(CultureInfo.InvariantCulture, $"{hop.Hop} (hop {hop.Index + 1} of {hop.Count}): {what}"));
        }
    }
}
