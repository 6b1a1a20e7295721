using System.Buffers;
using System.Globalization;
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
        var line = new StringBuilder(256);
        line.Append(now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        line.Append(logEvent == RequestLogEvent.Request ? " request" : " end");
        foreach (var (key, value) in Fields(logEvent, record))
        {
            line.Append(' ').Append(key).Append('=');
            AppendTextValue(line, value);
        }

        return line.ToString();
    }

    public static string FormatJson(RequestLogEvent logEvent, SessionRecord record, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("time", now.UtcDateTime);
            json.WriteString("event", logEvent == RequestLogEvent.Request ? "request" : "end");
            foreach (var (key, value) in Fields(logEvent, record))
            {
                switch (value)
                {
                    case null:
                        json.WriteNull(key);
                        break;
                    case long number:
                        json.WriteNumber(key, number);
                        break;
                    case int number:
                        json.WriteNumber(key, number);
                        break;
                    case double number:
                        json.WriteNumber(key, number);
                        break;
                    default:
                        json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                        break;
                }
            }

            json.WriteEndObject();
        }

        return LogText.EscapeJsonLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static IEnumerable<(string Key, object? Value)> Fields(RequestLogEvent logEvent, SessionRecord record)
    {
        yield return ("session", record.Id);
        yield return ("client", record.Client.ToString());
        yield return ("listener", record.Server.ToString());
        if (record.Balancer is { } balancer)
        {
            // Only sessions relayed by a balancer (PROXY protocol) have these; direct ones keep their shape.
            yield return ("balancer", balancer.ToString());
            yield return ("frontend", record.Frontend?.ToString());
            if (record.BalancerId is not null)
            {
                yield return ("balancer_id", record.BalancerId);
            }
        }

        yield return ("version", record.VersionName);
        yield return ("auth", record.AuthMethodName);
        if (record.AuthBackend is not null)
        {
            // Only username/password logins have one; other lines keep their shape.
            yield return ("auth_by", record.AuthBackend);
        }

        yield return ("user", record.User);
        if (record.AuthMethod == Protocol.Socks5.AuthMethod.Gssapi)
        {
            // Only GSSAPI sessions have a protection level; other lines keep their shape.
            yield return ("protection", record.Protection);
        }

        yield return ("ident", record.IdentUser);
        yield return ("command", record.CommandName);
        yield return ("dest", record.Destination?.ToString());
        yield return ("connected", record.Connected?.ToString());
        if (record.Command == Protocol.Socks5.Socks5Command.Bind)
        {
            // Only BIND has them; other lines keep their shape for the parsers already reading them.
            yield return ("announced", record.BindAnnounced?.ToString());
            yield return ("peer", record.Peer?.ToString());
        }

        yield return ("reply", record.ReplyCode);
        yield return ("rule", record.Rule);
        if (record.Outbound is { } outbound)
        {
            // Only connections a rule sent out its own way have these; other lines keep their shape.
            if (outbound.Route is not null)
            {
                yield return ("route", outbound.Route);
                yield return ("route_chain", outbound.Chain == 0 ? null : outbound.Chain);
                yield return ("route_hops", outbound.Hops);
            }

            if (outbound.Source is not null)
            {
                yield return ("source", outbound.Source.ToString());
            }
        }

        if (record.Udp is { } udp)
        {
            // Only UDP associations have these; TCP lines keep their shape.
            yield return ("relay", udp.Relay.ToString());
        }

        if (logEvent == RequestLogEvent.End)
        {
            yield return ("bytes_up", record.BytesUp);
            yield return ("bytes_down", record.BytesDown);
            if (record.Udp is { } counts)
            {
                yield return ("datagrams_up", counts.DatagramsUp);
                yield return ("datagrams_down", counts.DatagramsDown);
                yield return ("dropped", counts.Dropped);
                yield return ("drops", counts.DropSummary());
            }

            yield return ("duration", Math.Round(record.Elapsed.TotalSeconds, 3));
            yield return ("reason", record.EndReason);
        }
    }

    private static void AppendTextValue(StringBuilder line, object? value)
    {
        var text = value switch
        {
            null => "-",
            double d => d.ToString("0.000", CultureInfo.InvariantCulture),
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "-",
        };

        bool needsQuotes = text.Length == 0;
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
            line.Append(text);
            return;
        }

        line.Append('"');
        LogText.AppendEscaped(line, text, quote: '"');
        line.Append('"');
    }
}
