using System.Globalization;
using System.Text;

namespace Windsock.Protocol.Ident;

/// <summary>
/// The RFC 1413 query: <c>&lt;port on the queried host&gt; , &lt;port on the querying host&gt;\r\n</c>.
/// For a SOCKS session that is the client's source port, then the port the proxy accepted it on.
/// </summary>
public static class IdentQuery
{
    /// <summary>Longest query: two five-digit ports, " , " and CRLF.</summary>
    public const int MaxLength = 5 + 3 + 5 + 2;

    public static int Write(Span<byte> destination, ushort portOnQueriedHost, ushort portOnQueryingHost)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{portOnQueriedHost} , {portOnQueryingHost}\r\n");
        return Encoding.ASCII.GetBytes(text, destination);
    }
}
