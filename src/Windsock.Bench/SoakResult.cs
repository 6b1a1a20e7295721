using System.Globalization;
using System.Text.Json;

namespace Windsock.Bench;

/// <summary>What a soak did, and how the server's process looked at the first and last samples.</summary>
public sealed record SoakResult(
    TimeSpan Elapsed, long Succeeded, int Failed, string? FirstError, long Corrupt, long LostDatagrams, long Bytes,
    long BulkConnects, long SmallConnects, long Binds, long UdpAssociations, IReadOnlyList<ServerSample> Samples, long NotStarted)
{
    /// <summary>The soak's verdict: every session done, nothing damaged, nothing lost, nothing failed.</summary>
    public bool Clean => Failed == 0 && Corrupt == 0 && LostDatagrams == 0 && NotStarted <= 0 && Succeeded > 0;

    public void WriteTable(TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"soak: {Elapsed.TotalMinutes:0.0} min, {Succeeded} sessions ok ({BulkConnects} bulk CONNECT, {SmallConnects} small CONNECT, {Binds} BIND, {UdpAssociations} UDP)"));
        output.WriteLine(string.Create(inv, $"      {Bytes / 1e9:0.000} GB checked (SHA-256 at both ends), {Corrupt} corrupt, {LostDatagrams} datagrams lost, {Failed} failed{(FirstError is null ? string.Empty : $" (first: {FirstError})")}{(NotStarted > 0 ? $", {NotStarted} not started in time" : string.Empty)}"));
        foreach (var pid in Samples.Select(s => s.Pid).Distinct())
        {
            var mine = Samples.Where(s => s.Pid == pid).ToList();
            var (first, last) = (mine[0], mine[^1]);
            output.WriteLine(string.Create(inv, $"pid {pid}: {mine.Count} samples; RSS {first.RssKiB / 1024.0:0.0} -> {last.RssKiB / 1024.0:0.0} MiB (max {mine.Max(s => s.RssKiB) / 1024.0:0.0}), fds {first.Descriptors} -> {last.Descriptors} (max {mine.Max(s => s.Descriptors)}), threads {first.Threads} -> {last.Threads} (max {mine.Max(s => s.Threads)}), GC heap {Mib(first.GcHeapKiB)} -> {Mib(last.GcHeapKiB)} MiB"));
        }

        output.WriteLine(Clean ? "verdict: clean" : "verdict: NOT clean");
    }

    public void WriteJson(TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            json.WriteStartObject();
            json.WriteString("mode", "soak");
            json.WriteNumber("seconds", Math.Round(Elapsed.TotalSeconds, 1));
            json.WriteNumber("succeeded", Succeeded);
            json.WriteNumber("failed", Failed);
            json.WriteString("first_error", FirstError);
            json.WriteNumber("corrupt", Corrupt);
            json.WriteNumber("lost_datagrams", LostDatagrams);
            json.WriteNumber("not_started", Math.Max(0, NotStarted));
            json.WriteNumber("bytes_checked", Bytes);
            json.WriteNumber("bulk_connects", BulkConnects);
            json.WriteNumber("small_connects", SmallConnects);
            json.WriteNumber("binds", Binds);
            json.WriteNumber("udp_associations", UdpAssociations);
            json.WriteBoolean("clean", Clean);
            json.WriteStartArray("samples");
            foreach (var s in Samples)
            {
                json.WriteStartObject();
                json.WriteNumber("elapsed_s", Math.Round(s.ElapsedSeconds, 1));
                json.WriteNumber("pid", s.Pid);
                json.WriteNumber("rss_kib", s.RssKiB);
                json.WriteNumber("fds", s.Descriptors);
                json.WriteNumber("threads", s.Threads);
                if (s.GcHeapKiB is { } gc)
                {
                    json.WriteNumber("gc_heap_kib", gc);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static string Mib(long? kib) => kib is { } value ? (value / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) : "?";
}
