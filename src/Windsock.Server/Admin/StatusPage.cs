using System.Globalization;
using System.Net;
using System.Text;
using Windsock.Server.Metrics;

namespace Windsock.Server.Admin;

/// <summary>
/// The read-only status page, HAProxy's stats page in spirit: totals, the open sessions, denials by rule, the
/// latest denials and the busiest users, rendered on the server and refreshed by the browser every few seconds
/// (a meta refresh: the page runs no script). Every value a client chose is HTML-encoded.
/// </summary>
public static class StatusPage
{
    public const int RefreshSeconds = 5;

    /// <summary>Rows of the session table at most; the total above it counts them all.</summary>
    public const int MaxRows = 500;

    public static string Render(StatusSummary summary, IReadOnlyList<LiveSession> sessions, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(sessions);
        var html = new StringBuilder(4096);
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{RefreshSeconds}">
            <title>Windsock status</title>
            <style>
            body {"{"} font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; {"}"}
            table {"{"} border-collapse: collapse; margin-bottom: 1.5em; {"}"}
            th, td {"{"} border: 1px solid #bbb; padding: 2px 8px; text-align: left; {"}"}
            th {"{"} background: #e8eef4; {"}"} td.n {"{"} text-align: right; font-variant-numeric: tabular-nums; {"}"}
            h2 {"{"} font-size: 1.1em; margin-bottom: 0.3em; {"}"}
            </style></head><body>
            <h1>Windsock status</h1>
            <p>Started {Encode(summary.Started.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture))}, up {Encode(Age(summary.Uptime))}; refreshes every {RefreshSeconds} s.</p>

            """);

        html.Append("<h2>Totals</h2>\n<table id=\"totals\">\n");
        Total(html, "sessions-active", "Sessions open", summary.SessionsActive);
        Total(html, "sessions-ended", "Sessions ended", summary.SessionsEnded);
        Total(html, "denials", "Denials", summary.Denials);
        Total(html, "bytes-up", "Bytes up (client to destination)", summary.BytesUp);
        Total(html, "bytes-down", "Bytes down", summary.BytesDown);
        html.Append("</table>\n");

        html.Append(CultureInfo.InvariantCulture, $"<h2>Open sessions ({sessions.Count})</h2>\n<table id=\"sessions\">\n");
        html.Append("<tr><th>ID</th><th>User</th><th>Client</th><th>Destination</th><th>Command</th><th>Rule</th><th>Age</th><th>Up</th><th>Down</th></tr>\n");
        foreach (var session in sessions.Take(MaxRows))
        {
            var r = session.Record;
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"session\" data-id=\"{r.Id}\"><td class=\"n\">{r.Id}</td><td>{Encode(r.User ?? "-")}</td><td>{Encode(r.Client.ToString())}</td>"
                + $"<td>{Encode(r.Destination?.ToString() ?? "-")}</td><td>{Encode(r.CommandName ?? "negotiating")}</td><td>{Encode(r.Rule ?? "-")}</td>"
                + $"<td class=\"n\">{Encode(Age(now - r.Started))}</td><td class=\"n\">{r.BytesUp}</td><td class=\"n\">{r.BytesDown}</td></tr>\n");
        }

        html.Append("</table>\n");

        html.Append("<h2>Denials by rule</h2>\n<table id=\"denials-by-rule\">\n<tr><th>Rule</th><th>Denials</th></tr>\n");
        foreach (var (rule, count) in summary.DenialsByRule)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"rule\"><td>{Encode(rule)}</td><td class=\"n\">{count}</td></tr>\n");
        }

        html.Append("</table>\n");

        html.Append("<h2>Top users (open sessions)</h2>\n<table id=\"top-users\">\n<tr><th>User</th><th>Sessions</th><th>Bytes</th></tr>\n");
        foreach (var user in summary.TopUsers)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"user\"><td>{Encode(user.User)}</td><td class=\"n\">{user.Sessions}</td><td class=\"n\">{user.Bytes}</td></tr>\n");
        }

        html.Append("</table>\n");

        html.Append("<h2>Latest denials</h2>\n<table id=\"recent-denials\">\n<tr><th>Time</th><th>Session</th><th>Client</th><th>User</th><th>Destination</th><th>Rule</th><th>Reason</th></tr>\n");
        foreach (var denial in summary.RecentDenials)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"denial\"><td>{Encode(denial.At.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture))}</td><td class=\"n\">{denial.SessionId}</td>"
                + $"<td>{Encode(denial.Client)}</td><td>{Encode(denial.User ?? "-")}</td><td>{Encode(denial.Destination ?? "-")}</td><td>{Encode(denial.Rule)}</td><td>{Encode(denial.Reason)}</td></tr>\n");
        }

        html.Append("</table>\n<p><a href=\"/metrics\">Prometheus metrics</a> · <a href=\"/api/sessions\">sessions (JSON)</a> · <a href=\"/api/status\">status (JSON)</a></p>\n</body></html>\n");
        return html.ToString();
    }

    private static void Total(StringBuilder html, string id, string label, long value) =>
        html.Append(CultureInfo.InvariantCulture, $"<tr><th>{label}</th><td class=\"n\" id=\"{id}\">{value}</td></tr>\n");

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>"3s", "4m 05s", "2h 03m", "5d 02h".</summary>
    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        return age.TotalMinutes < 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalSeconds}s")
            : age.TotalHours < 1 ? string.Create(CultureInfo.InvariantCulture, $"{age.Minutes}m {age.Seconds:00}s")
            : age.TotalDays < 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalHours}h {age.Minutes:00}m")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalDays}d {age.Hours:00}h");
    }
}
