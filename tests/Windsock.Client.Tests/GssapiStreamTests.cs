using System.Net.Security;
using System.Net.Sockets;
using Windsock.Client.Tests.Support;
using Windsock.Protocol.Gssapi;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>
/// RFC 1961 section 5 framing of <see cref="GssapiStream"/> against a real Kerberos acceptor context in the
/// test: every frame on the wire is checked by hand, and the acceptor wraps and unwraps with its own context.
/// </summary>
public class GssapiStreamTests(KerberosFixture kerberos)
{
    [Fact]
    public async Task The_synchronous_Read_and_Write_frame_as_the_asynchronous_ones_do()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var pair = await GssapiPair.CreateAsync(GssapiProtectionLevel.Confidentiality, cts.Token);
        var payload = new byte[100_000];
        new Random(11).NextBytes(payload);

        // Two messages out (the write is split below 64 KiB), read and unwrapped by the acceptor.
        var writing = Task.Run(() => pair.Client.Write(payload, 0, payload.Length), cts.Token);
        var received = new List<byte>();
        while (received.Count < payload.Length)
        {
            received.AddRange(pair.ServerUnwrap(await pair.ReadClientTokenAsync(cts.Token), out bool encrypted));
            Assert.True(encrypted);
        }

        await writing.WaitAsync(cts.Token);
        Assert.Equal(payload, received.ToArray());

        // Two messages in, read through the span overload in small pieces, then the end of the stream.
        byte[] frames = [.. pair.ServerFrame("first "u8), .. pair.ServerFrame("second"u8)];
        await pair.Server.SendAsync(frames, SocketFlags.None, cts.Token);
        pair.Server.Shutdown(SocketShutdown.Send);
        var read = await Task.Run(() =>
        {
            var all = new List<byte>();
            var piece = new byte[4];
            int n;
            while ((n = pair.Client.Read(piece.AsSpan())) > 0)
            {
                all.AddRange(piece.AsSpan(0, n).ToArray());
            }

            return all.ToArray();
        }, cts.Token).WaitAsync(cts.Token);
        Assert.Equal("first second"u8.ToArray(), read);
    }

    [Fact]
    public async Task A_large_write_is_split_into_messages_that_each_fit_the_16_bit_length()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var pair = await GssapiPair.CreateAsync(GssapiProtectionLevel.Confidentiality, cts.Token);
        var payload = new byte[300_000];
        new Random(7).NextBytes(payload);

        var writing = pair.Client.WriteAsync(payload, cts.Token).AsTask();
        var received = new List<byte>();
        int messages = 0;
        while (received.Count < payload.Length)
        {
            var token = await pair.ReadClientTokenAsync(cts.Token);
            received.AddRange(pair.ServerUnwrap(token, out bool encrypted));
            Assert.True(encrypted);
            messages++;
        }

        await writing;
        Assert.Equal(payload, received.ToArray());
        Assert.Equal((payload.Length + GssapiStream.MaxPlaintextPerMessage - 1) / GssapiStream.MaxPlaintextPerMessage, messages);
    }

    [Fact]
    public async Task Integrity_writes_are_signed_not_encrypted()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var pair = await GssapiPair.CreateAsync(GssapiProtectionLevel.Integrity, cts.Token);
        await pair.Client.WriteAsync("signed only"u8.ToArray(), cts.Token);
        var plain = pair.ServerUnwrap(await pair.ReadClientTokenAsync(cts.Token), out bool encrypted);
        Assert.False(encrypted);
        Assert.Equal("signed only"u8.ToArray(), plain);
        Assert.Equal(ProtectionLevel.Sign, pair.Client.Protection);
    }

    [Fact]
    public async Task Messages_cut_anywhere_on_the_wire_read_whole_into_small_buffers()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var pair = await GssapiPair.CreateAsync(GssapiProtectionLevel.Confidentiality, cts.Token);
        var first = new byte[5000];
        var second = new byte[70];
        new Random(1).NextBytes(first);
        new Random(2).NextBytes(second);
        byte[] wire = [.. pair.ServerFrame(first), .. pair.ServerFrame([]), .. pair.ServerFrame(second)];

        // One byte per send: the reader meets every possible cut of header, length and token.
        var sending = Task.Run(async () =>
        {
            for (int i = 0; i < wire.Length; i++)
            {
                await pair.Server.SendAsync(wire.AsMemory(i, 1), SocketFlags.None, cts.Token);
            }

            pair.Server.Shutdown(SocketShutdown.Send);
        }, cts.Token);

        var received = new List<byte>();
        var buffer = new byte[7];
        int n;
        while ((n = await pair.Client.ReadAsync(buffer, cts.Token)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        await sending;
        Assert.Equal([.. first, .. second], received.ToArray());
    }

    [Fact]
    public async Task A_zero_byte_read_waits_for_a_message_and_leaves_it_buffered()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var pair = await GssapiPair.CreateAsync(GssapiProtectionLevel.Confidentiality, cts.Token);
        var waiting = pair.Client.ReadAsync(Memory<byte>.Empty, cts.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await pair.Server.SendAsync(pair.ServerFrame("hello"u8), SocketFlags.None, cts.Token);
        Assert.Equal(0, await waiting);
        var buffer = new byte[16];
        Assert.Equal(5, await pair.Client.ReadAsync(buffer, cts.Token));
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);
    }

    [Fact]
    public async Task An_abort_from_the_proxy_fails_this_read_and_every_later_one()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var pair = await GssapiPair.CreateAsync(GssapiProtectionLevel.Confidentiality, cts.Token);
        await pair.Server.SendAsync(new byte[] { 1, 0xFF }, SocketFlags.None, cts.Token);
        var e = await Assert.ThrowsAnyAsync<IOException>(() => pair.Client.ReadAsync(new byte[10], cts.Token).AsTask());
        Assert.Contains("aborted", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<IOException>(() => pair.Client.ReadAsync(new byte[10], cts.Token).AsTask());
    }

    [Fact]
    public async Task A_tampered_token_fails_the_read_and_delivers_nothing_of_it_or_after_it()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var pair = await GssapiPair.CreateAsync(GssapiProtectionLevel.Confidentiality, cts.Token);
        var tampered = pair.ServerFrame("pay 100 to bob"u8);
        tampered[^3] ^= 0x01;
        var good = pair.ServerFrame("after"u8);
        await pair.Server.SendAsync((byte[])[.. tampered, .. good], SocketFlags.None, cts.Token);

        var buffer = new byte[64];
        var e = await Assert.ThrowsAnyAsync<IOException>(() => pair.Client.ReadAsync(buffer, cts.Token).AsTask());
        Assert.Contains("did not unwrap", e.Message, StringComparison.Ordinal);
        Assert.All(buffer, b => Assert.Equal(0, b));
        await Assert.ThrowsAnyAsync<IOException>(() => pair.Client.ReadAsync(buffer, cts.Token).AsTask());
        Assert.All(buffer, b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task An_integrity_only_message_is_refused_where_confidentiality_was_granted()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var pair = await GssapiPair.CreateAsync(GssapiProtectionLevel.Confidentiality, cts.Token);
        await pair.Server.SendAsync(pair.ServerFrame("in clear"u8, encrypt: false), SocketFlags.None, cts.Token);
        var e = await Assert.ThrowsAnyAsync<IOException>(() => pair.Client.ReadAsync(new byte[64], cts.Token).AsTask());
        Assert.Contains("integrity only", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task End_of_stream_between_messages_is_zero_and_inside_one_is_an_error()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using (var pair = await GssapiPair.CreateAsync(GssapiProtectionLevel.Integrity, cts.Token))
        {
            await pair.Server.SendAsync(pair.ServerFrame("whole"u8, encrypt: false), SocketFlags.None, cts.Token);
            pair.Server.Shutdown(SocketShutdown.Send);
            var buffer = new byte[64];
            Assert.Equal(5, await pair.Client.ReadAsync(buffer, cts.Token));
            Assert.Equal(0, await pair.Client.ReadAsync(buffer, cts.Token));
        }

        await using (var pair = await GssapiPair.CreateAsync(GssapiProtectionLevel.Integrity, cts.Token))
        {
            var frame = pair.ServerFrame("cut short"u8, encrypt: false);
            await pair.Server.SendAsync(frame.AsMemory(0, frame.Length - 4), SocketFlags.None, cts.Token);
            pair.Server.Shutdown(SocketShutdown.Send);
            var e = await Assert.ThrowsAnyAsync<IOException>(() => pair.Client.ReadAsync(new byte[64], cts.Token).AsTask());
            Assert.Contains("middle of a message", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CompleteWrites_half_closes_after_the_messages_written()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var pair = await GssapiPair.CreateAsync(GssapiProtectionLevel.Confidentiality, cts.Token);
        await pair.Client.WriteAsync("last words"u8.ToArray(), cts.Token);
        pair.Client.CompleteWrites();
        Assert.Equal("last words"u8.ToArray(), pair.ServerUnwrap(await pair.ReadClientTokenAsync(cts.Token), out _));
        Assert.Equal(0, await pair.Server.ReceiveAsync(new byte[1], SocketFlags.None, cts.Token));

        // The other direction still works.
        await pair.Server.SendAsync(pair.ServerFrame("answer"u8), SocketFlags.None, cts.Token);
        var buffer = new byte[16];
        Assert.Equal(6, await pair.Client.ReadAsync(buffer, cts.Token));
    }
}
