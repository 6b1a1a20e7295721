using System.Text.Json;
using Windsock.Server.Metrics;

namespace Windsock.Server.Admin;

/// <summary>
/// The status API's JSON (docs/operations.md): the live sessions, the totals, an error. Written by hand with
/// <see cref="Utf8JsonWriter"/>: no reflection, so the server stays trimmable and AOT-compatible.
/// </summary>
public static class StatusJson
{
    /// <summary>How many sessions one answer lists at most; "count" says how many matched.</summary>
    public const int MaxListed = 10_000;

    public static byte[] Sessions(IReadOnlyList<LiveSession> sessions, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        return Write(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("count", sessions.Count);
            json.WriteStartArray("sessions");
            foreach (var session in sessions.Take(MaxListed))
            {
                WriteSession(json, session, now);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    public static byte[] Status(StatusSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("started", summary.Started);
            json.WriteNumber("uptime_seconds", Math.Round(summary.Uptime.TotalSeconds, 3));
            json.WriteNumber("sessions_active", summary.SessionsActive);
            json.WriteNumber("sessions_ended", summary.SessionsEnded);
            json.WriteNumber("denials", summary.Denials);
            json.WriteNumber("bytes_up", summary.BytesUp);
            json.WriteNumber("bytes_down", summary.BytesDown);
            json.WriteStartObject("denials_by_rule");
            foreach (var (rule, count) in summary.DenialsByRule)
            {
                json.WriteNumber(rule, count);
            }

            json.WriteEndObject();
            json.WriteStartArray("top_users");
            foreach (var user in summary.TopUsers)
            {
                json.WriteStartObject();
                json.WriteString("user", user.User);
                json.WriteNumber("sessions", user.Sessions);
                json.WriteNumber("bytes", user.Bytes);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("recent_denials");
            foreach (var denial in summary.RecentDenials)
            {
                json.WriteStartObject();
                json.WriteString("time", denial.At);
                json.WriteNumber("session", denial.SessionId);
                json.WriteString("client", denial.Client);
                json.WriteString("user", denial.User);
                json.WriteString("destination", denial.Destination);
                json.WriteString("command", denial.Command);
                json.WriteString("rule", denial.Rule);
                json.WriteString("reason", denial.Reason);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    public static byte[] Ended(long id) => Write(json =>
    {
        json.WriteStartObject();
        json.WriteNumber("ended", id);
        json.WriteEndObject();
    });

    public static byte[] Error(string message) => Write(json =>
    {
        json.WriteStartObject();
        json.WriteString("error", message);
        json.WriteEndObject();
    });

    private static void WriteSession(Utf8JsonWriter json, LiveSession session, DateTimeOffset now)
    {
        var record = session.Record;
        json.WriteStartObject();
        json.WriteNumber("id", record.Id);
        json.WriteString("user", record.User);
        json.WriteString("client", record.Client.ToString());
        json.WriteString("destination", record.Destination?.ToString());
        json.WriteString("connected", record.Connected?.ToString());
        json.WriteString("command", record.CommandName);
        json.WriteString("version", record.VersionName);
        json.WriteString("method", record.AuthMethodName);
        json.WriteString("rule", record.Rule);
        json.WriteString("started", record.Started);
        json.WriteNumber("age_seconds", Math.Round(Math.Max(0, (now - record.Started).TotalSeconds), 3));
        json.WriteNumber("bytes_up", record.BytesUp);
        json.WriteNumber("bytes_down", record.BytesDown);
        if (record.RelayMode is { } relayMode)
        {
            json.WriteString("relay_mode", relayMode);
        }

        if (record.Udp is { } udp)
        {
            json.WriteNumber("datagrams_up", udp.DatagramsUp);
            json.WriteNumber("datagrams_down", udp.DatagramsDown);
            json.WriteNumber("datagrams_dropped", udp.Dropped);
        }

        json.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            write(json);
        }

        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }
}
