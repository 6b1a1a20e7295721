using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Logging;
using Windsock.Server.Sessions;
using Xunit;

namespace Windsock.Server.Tests.Logging;

/// <summary>
/// What reaches the output: written to a StreamWriter with nobody listening to <see cref="RequestLog.LineWritten"/>
/// (as `windsock serve` writes standard output), the lines go through pooled buffers instead of strings; the bytes
/// must be those of <see cref="RequestLogFormatter.FormatText"/>, in order, a line longer than the buffer included.
/// </summary>
public sealed class RequestLogOutputTests
{
    [Fact]
    public async Task Lines_written_from_pooled_buffers_are_the_formatted_lines_in_order()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 9, 30, 0, TimeSpan.Zero));
        using var stream = new MemoryStream();
        var output = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
        var expected = new List<string>();
        var log = new RequestLog(output, LogFormat.Text, time);
        try
        {
            for (int i = 0; i < 200; i++)
            {
                var record = Record(i, time);
                log.Write(RequestLogEvent.Request, record);
                expected.Add(RequestLogFormatter.FormatText(RequestLogEvent.Request, record, time.GetUtcNow()));
                time.Advance(TimeSpan.FromMilliseconds(7));
                record.EndReason = i % 3 == 0 ? "client closed" : null;
                log.Write(RequestLogEvent.End, record);
                expected.Add(RequestLogFormatter.FormatText(RequestLogEvent.End, record, time.GetUtcNow()));
            }

            log.WriteNotice("a notice between the lines");
            expected.Add("a notice between the lines");
        }
        finally
        {
            await log.DisposeAsync();
            await output.DisposeAsync();
        }

        var written = Encoding.UTF8.GetString(stream.ToArray()).Split('\n');
        Assert.Equal([.. expected, string.Empty], written);
        Assert.Contains(expected, line => line.Length > 1000);
        Assert.Equal(0, log.LostLines);
    }

    private static SessionRecord Record(int i, TimeProvider time)
    {
        var record = new SessionRecord(i, new IPEndPoint(IPAddress.Parse("2001:db8::7"), 40000 + i), new IPEndPoint(IPAddress.Loopback, 1080), time.GetUtcNow(), time)
        {
            Version = Windsock.Policy.PolicyVersion.Socks5,
            AuthMethod = AuthMethod.UsernamePassword,
            // Every tenth user name is long enough to make the line outgrow its first buffer; some need quoting.
            User = i % 10 == 0 ? new string('u', 1200) : i % 7 == 0 ? $"a \"quoted\" name {i}" : $"user{i}",
            Command = Socks5Command.Connect,
            Destination = SocksEndpoint.FromHost("example.org", 443),
            Connected = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 443),
            ReplyCode = 0,
        };
        record.AddBytesUp(i * 1000L);
        return record;
    }
}
