using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Windsock.Server.Configuration;

namespace Windsock.Cli;

/// <summary>
/// <c>windsock status</c>: the open sessions of a running server, over its admin listener (<c>[admin]</c>):
/// a table or <c>--json</c>, filtered by user, client, command, destination or rule; <c>--end ID</c> ends one.
/// </summary>
/// <remarks>Exit codes: 0 done; 1 the server could not be reached or refused (no such session, bad token); 2 usage errors.</remarks>
internal static class StatusCommand
{
    private const string DefaultAdmin = "127.0.0.1:9180";

    public static Command Create()
    {
        var admin = new Option<string?>("--admin") { Description = $"The admin listener: ADDRESS:PORT, http://ADDRESS:PORT/ or a unix socket path (default: [admin] listen of --config, else {DefaultAdmin})." };
        var config = new Option<string?>("--config", "-c") { Description = "The server's configuration file, to find its [admin] listen address and token_file." };
        var tokenFile = new Option<string?>("--token-file") { Description = "The admin token file (default: [admin] token_file of --config). Needed when the listener has a token." };
        var json = new Option<bool>("--json") { Description = "Print the sessions as the status API's JSON instead of a table." };
        var end = new Option<long?>("--end") { Description = "End the open session with this id (its request log line says \"ended by the administrator\")." };
        var user = new Option<string?>("--user") { Description = "Only sessions of this user." };
        var client = new Option<string?>("--client") { Description = "Only sessions from this client address or network (192.0.2.7, 192.0.2.0/24)." };
        var command = new Option<string?>("--command") { Description = "Only sessions of this command: connect, bind, udp-associate, resolve, resolve-ptr." };
        var destination = new Option<string?>("--destination") { Description = "Only sessions whose destination HOST:PORT contains this text." };
        var rule = new Option<string?>("--rule") { Description = "Only sessions whose deciding rule contains this text." };
        var status = new Command("status", "Show the open sessions of a running server over its admin listener, or end one with --end ID.")
        {
            admin, config, tokenFile, json, end, user, client, command, destination, rule,
        };
        status.SetAction(async (result, cancellationToken) =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            TextWriter error = result.InvocationConfiguration.Error;
            AdminOptions? configured = null;
            if (result.GetValue(config) is { } configPath)
            {
                try
                {
                    configured = ConfigLoader.Load(configPath).Admin;
                }
                catch (ConfigException e)
                {
                    await error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
                    return 1;
                }

                if (configured is null && result.GetValue(admin) is null)
                {
                    await error.WriteLineAsync($"windsock status: error: {configPath} has no [admin] listen, so the server has no admin listener; add [admin] listen = \"{DefaultAdmin}\" and reload it (SIGHUP)").ConfigureAwait(false);
                    return 1;
                }
            }

            string target = result.GetValue(admin) ?? configured?.Describe() ?? DefaultAdmin;
            if (!TryParseTarget(target, out Uri? baseUri, out string? socketPath))
            {
                await error.WriteLineAsync($"windsock status: error: --admin \"{target}\" is neither ADDRESS:PORT, http://ADDRESS:PORT/ nor a unix socket path").ConfigureAwait(false);
                return 2;
            }

            string? token = null;
            if ((result.GetValue(tokenFile) ?? configured?.TokenFile) is { } file)
            {
                try
                {
                    token = AdminTokenFile.Read(file);
                }
                catch (ConfigException e)
                {
                    await error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
                    return 1;
                }
            }

            using var http = CreateClient(baseUri!, socketPath, token);
            try
            {
                if (result.GetValue(end) is { } id)
                {
                    using var response = await http.DeleteAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"/api/sessions/{id}"), UriKind.Relative), cancellationToken).ConfigureAwait(false);
                    string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                    {
                        await error.WriteLineAsync($"windsock status: error: {ErrorText(body, response.StatusCode)}").ConfigureAwait(false);
                        return 1;
                    }

                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"session {id} ended")).ConfigureAwait(false);
                    return 0;
                }

                var query = new List<string>();
                foreach (var (name, option) in new[] { ("user", user), ("client", client), ("command", command), ("destination", destination), ("rule", rule) })
                {
                    if (result.GetValue(option) is { } value)
                    {
                        query.Add($"{name}={Uri.EscapeDataString(value)}");
                    }
                }

                string path = "/api/sessions" + (query.Count == 0 ? "" : "?" + string.Join('&', query));
                using var listing = await http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken).ConfigureAwait(false);
                string text = await listing.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (!listing.IsSuccessStatusCode)
                {
                    await error.WriteLineAsync($"windsock status: error: {ErrorText(text, listing.StatusCode)}").ConfigureAwait(false);
                    return 1;
                }

                await output.WriteAsync(result.GetValue(json) ? text : Table(text)).ConfigureAwait(false);
                return 0;
            }
            catch (HttpRequestException e)
            {
                await error.WriteLineAsync($"windsock status: error: cannot reach the admin listener at {target}: {e.Message} (is the server running with [admin] listen set?)").ConfigureAwait(false);
                return 1;
            }
        });
        return status;
    }

    private static bool TryParseTarget(string target, out Uri? baseUri, out string? socketPath)
    {
        socketPath = null;
        baseUri = null;
        if (target.StartsWith("unix:", StringComparison.Ordinal))
        {
            target = target["unix:".Length..];
        }

        if (target.StartsWith('/'))
        {
            socketPath = target;
            baseUri = new Uri("http://localhost/");
            return true;
        }

        if (target.StartsWith("http://", StringComparison.Ordinal) || target.StartsWith("https://", StringComparison.Ordinal))
        {
            return Uri.TryCreate(target, UriKind.Absolute, out baseUri);
        }

        if (EndpointSyntax.TryParse(target, out IPEndPoint? endPoint, out _))
        {
            baseUri = new Uri($"http://{endPoint}/");
            return true;
        }

        return false;
    }

    private static HttpClient CreateClient(Uri baseUri, string? socketPath, string? token)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5) };
        if (socketPath is not null)
        {
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        var http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(15) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    private static string ErrorText(string body, HttpStatusCode status)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("error", out var message) && message.GetString() is { } text)
            {
                return text;
            }
        }
        catch (JsonException)
        {
        }

        return string.Create(CultureInfo.InvariantCulture, $"the admin listener answered {(int)status} {status}");
    }

    /// <summary>The sessions as aligned columns, one line each, with a count below.</summary>
    internal static string Table(string json)
    {
        using var document = JsonDocument.Parse(json);
        var rows = new List<string[]> { new[] { "ID", "USER", "CLIENT", "DESTINATION", "COMMAND", "RULE", "AGE", "UP", "DOWN" } };
        foreach (var session in document.RootElement.GetProperty("sessions").EnumerateArray())
        {
            rows.Add(
            [
                session.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture),
                Text(session, "user"),
                Text(session, "client"),
                Text(session, "destination"),
                session.GetProperty("command").GetString() ?? "negotiating",
                Text(session, "rule"),
                Server.Admin.StatusPage.Age(TimeSpan.FromSeconds(session.GetProperty("age_seconds").GetDouble())),
                session.GetProperty("bytes_up").GetInt64().ToString(CultureInfo.InvariantCulture),
                session.GetProperty("bytes_down").GetInt64().ToString(CultureInfo.InvariantCulture),
            ]);
        }

        int[] widths = [.. Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length))];
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }

        long count = document.RootElement.GetProperty("count").GetInt64();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{count} open session{(count == 1 ? "" : "s")}"));
        return text.ToString();
    }

    private static string Text(JsonElement session, string name) =>
        session.GetProperty(name).ValueKind == JsonValueKind.String ? Server.Logging.LogText.Escape(session.GetProperty(name).GetString()!) : "-";
}
