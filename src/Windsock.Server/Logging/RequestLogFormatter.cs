using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Windsock.Server.Configuration;
using Windsock.Server.Sessions;

namespace Windsock.Server.Logging;

/// <summary>
/// Turns a session record into one log line: key=value text (journald and grep friendly; values with
/// spaces or quotes are quoted and escaped, so a hostile user name cannot forge a field), or a JSON
/// object. Either way the characters <see cref="LogText"/> names never appear raw.
/// </summary>
public static class RequestLogFormatter
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Format(LogFormat format, RequestLogEvent logEvent, SessionRecord record, DateTimeOffset now) =>
        format == LogFormat.Json ? FormatJson(logEvent, record, now) : FormatText(logEvent, record, now);

    public static string FormatText(RequestLogEvent logEvent, SessionRecord record, DateTimeOffset now)
    {
        var line = new LogLineBuilder(256);
        try
        {
            FormatText(logEvent, record, now, ref line);
            return line.ToString();
        }
        finally
        {
            line.Dispose();
        }
    }

    /// <summary>The text line in a pooled buffer, which the caller returns to <see cref="ArrayPool{T}.Shared"/> once written.</summary>
    internal static char[] FormatTextPooled(RequestLogEvent logEvent, SessionRecord record, DateTimeOffset now, out int length)
    {
        var line = new LogLineBuilder(256);
        try
        {
            FormatText(logEvent, record, now, ref line);
            return line.Detach(out length);
        }
        finally
        {
            line.Dispose();
        }
    }

    private static void FormatText(RequestLogEvent logEvent, SessionRecord record, DateTimeOffset now, ref LogLineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(record);
        var line = new TextFields(builder);
        try
        {
            Span<char> stamp = stackalloc char[LogTimestamp.Length];
            LogTimestamp.Write(now.UtcDateTime, stamp);
            line.Line.Append(stamp);
            line.Line.Append(logEvent == RequestLogEvent.Request ? " request" : " end");
            Fields(logEvent, record, ref line);
        }
        finally
        {
            // The buffer may have grown while the fields were appended: the caller's builder holds the one in use.
            builder = line.Line;
        }
    }

    public static string FormatJson(RequestLogEvent logEvent, SessionRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        // The writer and its buffer are the thread's, reset per line: a line is formatted start to end on one thread.
        var json = JsonFields.ForThisThread(out var buffer);
        json.Writer.WriteStartObject();
        json.Writer.WriteString("time", now.UtcDateTime);
        json.Writer.WriteString("event", logEvent == RequestLogEvent.Request ? "request" : "end");
        Fields(logEvent, record, ref json);
        json.Writer.WriteEndObject();
        json.Writer.Flush();
        return LogText.EscapeJsonLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    // The fields of a line in order, written through the line's writer. A field appears in every line or only where
    // it has something to say (the comments name which): lines of one kind keep their shape for the parsers reading them.
    private static void Fields<TWriter>(RequestLogEvent logEvent, SessionRecord record, ref TWriter fields)
        where TWriter : struct, IRequestLogFieldWriter
    {
        fields.Number("session", record.Id);
        EndPoint(ref fields, "client", record.Client);
        EndPoint(ref fields, "listener", record.Server);
        if (record.Balancer is { } balancer)
        {
            // Only sessions relayed by a balancer (PROXY protocol) have these; direct ones keep their shape.
            EndPoint(ref fields, "balancer", balancer);
            EndPoint(ref fields, "frontend", record.Frontend);
            if (record.BalancerId is { } balancerId)
            {
                fields.Text("balancer_id", balancerId);
            }
        }

        Text(ref fields, "version", record.VersionName);
        Text(ref fields, "auth", record.AuthMethodName);
        if (record.AuthBackend is { } backend)
        {
            // Only username/password logins have one; other lines keep their shape.
            fields.Text("auth_by", backend);
        }

        Text(ref fields, "user", record.User);
        if (record.AuthMethod == Protocol.Socks5.AuthMethod.Gssapi)
        {
            // Only GSSAPI sessions have a protection level; other lines keep their shape.
            Text(ref fields, "protection", record.Protection);
        }

        Text(ref fields, "ident", record.IdentUser);
        Text(ref fields, "command", record.CommandName);
        if (record.Destination is { } destination)
        {
            fields.Formatted("dest", destination);
        }
        else
        {
            fields.Missing("dest");
        }

        EndPoint(ref fields, "connected", record.Connected);
        if (record.Command == Protocol.Socks5.Socks5Command.Bind)
        {
            // Only BIND has them; other lines keep their shape for the parsers already reading them.
            EndPoint(ref fields, "announced", record.BindAnnounced);
            EndPoint(ref fields, "peer", record.Peer);
        }

        Number(ref fields, "reply", record.ReplyCode);
        Text(ref fields, "rule", record.Rule);
        if (record.Outbound is { } outbound)
        {
            // Only connections a rule sent out its own way have these; other lines keep their shape.
            if (outbound.Route is { } route)
            {
                fields.Text("route", route);
                Number(ref fields, "route_chain", outbound.Chain == 0 ? null : outbound.Chain);
                Text(ref fields, "route_hops", outbound.Hops);
            }

            if (outbound.Source is { } source)
            {
                fields.Formatted("source", source);
            }
        }

        if (record.Udp is { } udp)
        {
            // Only UDP associations have these; TCP lines keep their shape.
            EndPoint(ref fields, "relay", udp.Relay);
        }

        if (logEvent == RequestLogEvent.End)
        {
            fields.Number("bytes_up", record.BytesUp);
            fields.Number("bytes_down", record.BytesDown);
            if (record.Udp is { } counts)
            {
                fields.Number("datagrams_up", counts.DatagramsUp);
                fields.Number("datagrams_down", counts.DatagramsDown);
                fields.Number("dropped", counts.Dropped);
                Text(ref fields, "drops", counts.DropSummary());
            }

            fields.Seconds("duration", Math.Round(record.Elapsed.TotalSeconds, 3));
            Text(ref fields, "reason", record.EndReason);
        }
    }

    private static void Text<TWriter>(ref TWriter fields, string key, string? value)
        where TWriter : struct, IRequestLogFieldWriter
    {
        if (value is null)
        {
            fields.Missing(key);
        }
        else
        {
            fields.Text(key, value);
        }
    }

    private static void EndPoint<TWriter>(ref TWriter fields, string key, IPEndPoint? value)
        where TWriter : struct, IRequestLogFieldWriter
    {
        if (value is null)
        {
            fields.Missing(key);
        }
        else
        {
            fields.Formatted(key, new EndPointText(value));
        }
    }

    private static void Number<TWriter>(ref TWriter fields, string key, long? value)
        where TWriter : struct, IRequestLogFieldWriter
    {
        if (value is { } number)
        {
            fields.Number(key, number);
        }
        else
        {
            fields.Missing(key);
        }
    }

    /// <summary>key=value pairs after the line's time and event; values with spaces, quotes or escapes quoted.</summary>
    private struct TextFields(LogLineBuilder line) : IRequestLogFieldWriter
    {
        public LogLineBuilder Line = line;

        public void Missing(string key)
        {
            Key(key);
            Line.Append('-');
        }

        public void Text(string key, string value)
        {
            Key(key);
            Value(value);
        }

        public void Formatted<T>(string key, T value)
            where T : ISpanFormattable
        {
            Key(key);
            // Host names are at most 255 characters, so every destination and address fits.
            Span<char> text = stackalloc char[320];
            if (value.TryFormat(text, out int length, default, CultureInfo.InvariantCulture))
            {
                Value(text[..length]);
            }
            else
            {
                Value(value.ToString(null, CultureInfo.InvariantCulture));
            }
        }

        public void Number(string key, long value)
        {
            Key(key);
            Line.AppendFormatted(value);
        }

        public void Seconds(string key, double value)
        {
            Key(key);
            Line.AppendFormatted(value, "0.000");
        }

        private void Key(string key)
        {
            Line.Append(' ');
            Line.Append(key);
            Line.Append('=');
        }

        private void Value(scoped ReadOnlySpan<char> text)
        {
            bool needsQuotes = text.IsEmpty;
            foreach (var c in text)
            {
                if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7F)
                {
                    needsQuotes = true;
                    break;
                }
            }

            if (!needsQuotes)
            {
                Line.Append(text);
                return;
            }

            Line.Append('"');
            LogText.AppendEscaped(ref Line, text, quote: '"');
            Line.Append('"');
        }
    }

    /// <summary>The JSON object's members, typed (numbers as numbers, absent values as null).</summary>
    private readonly struct JsonFields(Utf8JsonWriter writer) : IRequestLogFieldWriter
    {
        [ThreadStatic]
        private static ArrayBufferWriter<byte>? t_buffer;

        [ThreadStatic]
        private static Utf8JsonWriter? t_writer;

        public Utf8JsonWriter Writer { get; } = writer;

        /// <summary>This thread's writer, reset onto its emptied buffer.</summary>
        public static JsonFields ForThisThread(out ArrayBufferWriter<byte> buffer)
        {
            buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
            buffer.ResetWrittenCount();
            if (t_writer is { } writer)
            {
                writer.Reset(buffer);
            }
            else
            {
                writer = t_writer = new Utf8JsonWriter(buffer, JsonOptions);
            }

            return new JsonFields(writer);
        }

        public void Missing(string key) => Writer.WriteNull(key);

        public void Text(string key, string value) => Writer.WriteString(key, value);

        public void Formatted<T>(string key, T value)
            where T : ISpanFormattable
        {
            Span<char> text = stackalloc char[320];
            if (value.TryFormat(text, out int length, default, CultureInfo.InvariantCulture))
            {
                Writer.WriteString(key, text[..length]);
            }
            else
            {
                Writer.WriteString(key, value.ToString(null, CultureInfo.InvariantCulture));
            }
        }

        public void Number(string key, long value) => Writer.WriteNumber(key, value);

        public void Seconds(string key, double value) => Writer.WriteNumber(key, value);
    }
}
