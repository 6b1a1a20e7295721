using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Server.Logging;

/// <summary>
/// An <see cref="IPEndPoint"/> as its <c>ToString()</c> writes it (<c>address:port</c>, IPv6 in brackets), formatted
/// in place: the request log writes four of them per line, and each <c>ToString()</c> was a new string (and left the
/// address's own text cached on it for the session's life).
/// </summary>
internal readonly struct EndPointText(IPEndPoint endPoint) : ISpanFormattable
{
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6
            ? destination.TryWrite(CultureInfo.InvariantCulture, $"[{endPoint.Address}]:{endPoint.Port}", out charsWritten)
            : destination.TryWrite(CultureInfo.InvariantCulture, $"{endPoint.Address}:{endPoint.Port}", out charsWritten);

    public string ToString(string? format, IFormatProvider? formatProvider) => endPoint.ToString();

    public override string ToString() => endPoint.ToString();
}
