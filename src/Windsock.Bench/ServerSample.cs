using System.Globalization;

namespace Windsock.Bench;

/// <summary>
/// One reading of the server process from /proc: resident memory, open descriptors, threads, and the
/// resident part of the .NET GC's reserved address range (the GC heap as the kernel sees it).
/// </summary>
public sealed record ServerSample(DateTimeOffset Time, double ElapsedSeconds, int Pid, long RssKiB, int Descriptors, int Threads, long? GcHeapKiB)
{
    /// <summary>Reads <paramref name="pid"/> now; throws <see cref="InvalidOperationException"/> when it is gone.</summary>
    public static ServerSample Read(int pid, double elapsedSeconds)
    {
        string status;
        try
        {
            status = File.ReadAllText($"/proc/{pid}/status");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"process {pid} cannot be read (gone?): {e.Message}", e);
        }

        long rss = Field(status, "VmRSS:") ?? 0;
        int threads = (int)(Field(status, "Threads:") ?? 0);
        int descriptors = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        return new ServerSample(DateTimeOffset.UtcNow, elapsedSeconds, pid, rss, descriptors, threads, GcResidentKiB(pid));
    }

    public const string CsvHeader = "time_utc,elapsed_s,pid,rss_kib,fds,threads,gc_heap_kib";

    public string ToCsv() => string.Create(CultureInfo.InvariantCulture,
        $"{Time.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ},{ElapsedSeconds:0},{Pid},{RssKiB},{Descriptors},{Threads},{GcHeapKiB?.ToString(CultureInfo.InvariantCulture) ?? string.Empty}");

    private static long? Field(string status, string name)
    {
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                var value = line[name.Length..].Trim().Split(' ')[0];
                return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed) ? parsed : null;
            }
        }

        return null;
    }

    /// <summary>
    /// The GC reserves one large contiguous range of anonymous memory up front (tens of GiB, mostly
    /// PROT_NONE) and commits regions inside it as the heap grows; the kernel splits it into adjacent
    /// mappings. The longest run of adjacent anonymous mappings, if at least 4 GiB, is that range, and the
    /// sum of their Rss is the heap's resident size. Null when no such run is found (not .NET, or another
    /// GC configuration).
    /// </summary>
    private static long? GcResidentKiB(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/smaps");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        ulong runStart = 0, runEnd = 0, bestLength = 0;
        long runRss = 0, bestRss = 0;
        bool inAnonymous = false;
        foreach (var line in lines)
        {
            if (MappingHeader(line) is { } mapping)
            {
                if (mapping.Anonymous && inAnonymous && mapping.Start == runEnd)
                {
                    runEnd = mapping.End;
                }
                else
                {
                    runStart = mapping.Start;
                    runEnd = mapping.End;
                    runRss = 0;
                }

                inAnonymous = mapping.Anonymous;
                continue;
            }

            if (inAnonymous && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                runRss += long.Parse(line.AsSpan(4).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
                if (runEnd - runStart > bestLength)
                {
                    bestLength = runEnd - runStart;
                    bestRss = runRss;
                }
                else if (runEnd - runStart == bestLength)
                {
                    bestRss = Math.Max(bestRss, runRss);
                }
            }
        }

        return bestLength >= 4UL << 30 ? bestRss : null;
    }

    private static (ulong Start, ulong End, bool Anonymous)? MappingHeader(string line)
    {
        int dash = line.IndexOf('-', StringComparison.Ordinal);
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        if (dash <= 0 || space <= dash
            || !ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start)
            || !ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong end))
        {
            return null;
        }

        // "start-end perms offset dev inode [path]": anonymous when there is no path.
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        return (start, end, fields.Length <= 5);
    }
}
