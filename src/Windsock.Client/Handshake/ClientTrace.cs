using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Windsock.Client.Handshake;

/// <summary>
/// A per-call narration of what the client does with each hop (e.g. for `windsock connect --verbose`),
/// at debug level to <see cref="SocksClientOptions.Logger"/> of the call in progress. Costs a null
/// check when nobody listens.
/// </summary>
internal static partial class ClientTrace
{
    public static ILogger? Logger => ClientCall.Current?.Options.Logger;

    public static void Write(string line)
    {
        if (Logger is { } logger)
        {
            Step(logger, line);
        }
    }

    public static void Write(HopContext hop, string what)
    {
        if (Logger is { } logger)
        {
            HopStep(logger, hop.Count == 1
                ? hop.Hop.ToString()
                : string.Create(CultureInfo.InvariantCulture, $"{hop.Hop} (hop {hop.Index + 1} of {hop.Count})"), what);
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "{Step}")]
    private static partial void Step(ILogger logger, string step);

    [LoggerMessage(2, LogLevel.Debug, "{Hop}: {Step}")]
    private static partial void HopStep(ILogger logger, string hop, string step);
}
