// A .NET program as a developer writes it from docs/client-library.md, built against the packed
// Windsock.Client restored from a folder feed (PackageConsumerTests). Arguments: the proxy's host and
// port, then the loopback echo, HTTP and UDP echo ports. One line per scenario on standard output.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Windsock.Client;
using Windsock.Client.Http;

string proxyHost = args[0];
int proxyPort = int.Parse(args[1]);
int echoPort = int.Parse(args[2]);
int httpPort = int.Parse(args[3]);
int udpPort = int.Parse(args[4]);
using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
var ct = cts.Token;

var client = new SocksClient(new ProxyHop(proxyHost, proxyPort));

// CONNECT: the proxy resolves "localhost".
using (Socket socket = await client.ConnectAsync("localhost", echoPort, ct))
{
    byte[] hello = "hello through SOCKS"u8.ToArray();
    await socket.SendAsync(hello, SocketFlags.None, ct);
    byte[] back = new byte[hello.Length];
    int got = 0;
    while (got < back.Length)
    {
        got += await socket.ReceiveAsync(back.AsMemory(got), SocketFlags.None, ct);
    }

    Console.WriteLine(back.AsSpan().SequenceEqual(hello) ? "CONNECT ok" : "CONNECT wrong bytes");
}

// HttpClient through a proxy URI.
using (var http = new HttpClient(new SocksHttpHandler(new Uri($"socks5h://{proxyHost}:{proxyPort}"))))
{
    byte[] body = await http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{httpPort}/"), ct);
    Console.WriteLine($"HTTP ok {body.Length} {Convert.ToHexStringLower(SHA256.HashData(body))}");
}

// UDP ASSOCIATE.
await using (SocksUdpClient udp = await client.AssociateUdpAsync(ct))
{
    byte[] datagram = "one datagram"u8.ToArray();
    await udp.SendAsync(datagram, new IPEndPoint(IPAddress.Loopback, udpPort), ct);
    SocksUdpDatagram answer = await udp.ReceiveAsync(ct);
    Console.WriteLine(answer.Payload.Span.SequenceEqual(datagram) ? $"UDP ok from {answer.RemoteEndPoint}" : "UDP wrong bytes");
}

// BIND: this program plays the peer too, connecting to where the proxy listens.
await using (SocksBind bind = await client.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), ct))
{
    using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    await peer.ConnectAsync(bind.ListenEndPoint, ct);
    using Socket accepted = await bind.AcceptAsync(ct);
    await peer.SendAsync("from the peer"u8.ToArray(), SocketFlags.None, ct);
    byte[] buffer = new byte[13];
    int got = 0;
    while (got < buffer.Length)
    {
        got += await accepted.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, ct);
    }

    Console.WriteLine(buffer.AsSpan().SequenceEqual("from the peer"u8) ? $"BIND ok peer {bind.RemoteEndPoint}" : "BIND wrong bytes");
}

// A refusal is typed: the proxy's reply code in words.
try
{
    using Socket refused = await client.ConnectAsync(IPAddress.Loopback, int.Parse(args[5]), ct);
    Console.WriteLine("REFUSED not refused");
}
catch (SocksException e) when (e.Kind == SocksErrorKind.CommandFailed)
{
    Console.WriteLine($"REFUSED {e.ReplyCode} {e.ReplyMeaning}");
}
