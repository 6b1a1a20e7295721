using System.Net.Sockets;

namespace Windsock.Fuzz;

/// <summary>One piece of a session-level input as a socket sends it, and the pause (milliseconds) before the next piece or the FIN.</summary>
public readonly record struct InputPiece(ReadOnlyMemory<byte> Bytes, int PauseMilliseconds)
{
    /// <summary>
    /// Sends the pieces in order: after each, a real timer wait when it has a pause (so the peer's read
    /// returns a partial message and its own timers run meanwhile), or at least a yield so every piece is
    /// its own send.
    /// </summary>
    public static async Task SendAllAsync(Socket socket, IEnumerable<InputPiece> pieces, CancellationToken token)
    {
        foreach (var piece in pieces)
        {
            await socket.SendAsync(piece.Bytes, SocketFlags.None, token);
            if (piece.PauseMilliseconds > 0)
            {
                await Task.Delay(piece.PauseMilliseconds, token);
            }
            else
            {
                await Task.Yield();
            }
        }
    }
}
