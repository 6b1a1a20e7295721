namespace Windsock.Protocol;

/// <summary>What a parser made of the bytes it was given. A value type: parsing allocates nothing for the result.</summary>
/// <param name="Status">Need more bytes, done, or a protocol error.</param>
/// <param name="Consumed">With <see cref="ParseStatus.Done"/>, how many bytes the message took; otherwise zero.</param>
/// <param name="Error">With <see cref="ParseStatus.Error"/>, why the bytes are invalid.</param>
public readonly record struct ParseResult(ParseStatus Status, int Consumed, ProtocolError Error)
{
    public static ParseResult NeedMore => new(ParseStatus.NeedMore, 0, ProtocolError.None);

    public static ParseResult Done(int consumed) => new(ParseStatus.Done, consumed, ProtocolError.None);

    public static ParseResult Fail(ProtocolError error) => new(ParseStatus.Error, 0, error);

    public bool IsDone => Status == ParseStatus.Done;

    public bool IsError => Status == ParseStatus.Error;
}
