namespace Windsock.Server.Logging;

/// <summary>
/// Where <see cref="RequestLogFormatter"/>'s one walk over a record's fields puts them: the text line or the JSON
/// object. Typed, so that a number is not boxed and an address is not made a string on the way (implementations are
/// structs, called through a generic constraint).
/// </summary>
internal interface IRequestLogFieldWriter
{
    /// <summary>A field without a value: <c>-</c> in text, <c>null</c> in JSON.</summary>
    void Missing(string key);

    void Text(string key, string value);

    /// <summary>A value written as text (an address, an endpoint) that is formatted in place.</summary>
    void Formatted<T>(string key, T value)
        where T : ISpanFormattable;

    void Number(string key, long value);

    /// <summary>A duration in seconds, to the millisecond.</summary>
    void Seconds(string key, double value);
}
