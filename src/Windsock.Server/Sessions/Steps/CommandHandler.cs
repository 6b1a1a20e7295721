namespace Windsock.Server.Sessions.Steps;

/// <summary>
/// Runs one decided command to its end (reply, relay). The handler owns <see cref="SessionRequest.Reader"/>
/// from here: it takes the bytes the client sent behind the request and disposes of the reader before a
/// long wait, so no handshake buffer is held for the life of a relay. Registered in <see cref="DispatchStep"/>.
/// </summary>
internal delegate Task CommandHandler(ClientConnection client, SessionRequest request, CancellationToken cancellationToken);
