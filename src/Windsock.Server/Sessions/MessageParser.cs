using Windsock.Protocol;

namespace Windsock.Server.Sessions;

/// <summary>The shape every protocol parser has, so one reader can feed any of them.</summary>
public delegate ParseResult MessageParser<T>(ReadOnlySpan<byte> input, out T message);
