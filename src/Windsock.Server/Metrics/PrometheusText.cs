using System.Globalization;
using System.Text;

namespace Windsock.Server.Metrics;

/// <summary>
/// The Prometheus text exposition format (version 0.0.4) of a <see cref="MetricsCollector"/> snapshot. Names
/// follow OpenTelemetry's Prometheus mapping: dots become underscores, the unit "s" adds <c>_seconds</c> and
/// "By" <c>_bytes</c>, counters end in <c>_total</c>; annotations in braces ("{session}") add nothing.
/// </summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Write(IEnumerable<InstrumentSnapshot> instruments)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        var text = new StringBuilder();
        foreach (var instrument in instruments)
        {
            Write(text, instrument);
        }

        return text.ToString();
    }

    /// <summary>The Prometheus name of an instrument: "windsock.handshake.duration" in seconds is windsock_handshake_duration_seconds.</summary>
    public static string Name(string instrument, string? unit, MetricKind kind)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        var name = new StringBuilder(instrument.Length + 16);
        foreach (char c in instrument)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':' ? c : '_');
        }

        string suffix = unit switch
        {
            "s" => "_seconds",
            "By" => "_bytes",
            "ms" => "_milliseconds",
            _ => string.Empty,
        };
        if (suffix.Length > 0 && !name.ToString().EndsWith(suffix, StringComparison.Ordinal))
        {
            name.Append(suffix);
        }

        if (kind == MetricKind.Counter)
        {
            name.Append("_total");
        }

        return name.ToString();
    }

    /// <summary>A label value with backslash, double quote and line feed escaped, as the format requires.</summary>
    public static string EscapeLabel(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0)
        {
            return value;
        }

        return value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    /// <summary>A sample value: integers without a fraction, +Inf, -Inf and NaN as Prometheus spells them.</summary>
    public static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static void Write(StringBuilder text, InstrumentSnapshot instrument)
    {
        string name = Name(instrument.Name, instrument.Unit, instrument.Kind);
        if (!string.IsNullOrEmpty(instrument.Description))
        {
            // HELP escapes backslash and line feed only.
            text.Append("# HELP ").Append(name).Append(' ')
                .Append(instrument.Description.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
        }

        text.Append("# TYPE ").Append(name).Append(' ').Append(instrument.Kind switch
        {
            MetricKind.Counter => "counter",
            MetricKind.Histogram => "histogram",
            _ => "gauge",
        }).Append('\n');

        foreach (var series in instrument.Series)
        {
            if (instrument.Kind != MetricKind.Histogram)
            {
                Sample(text, name, series.Labels, null, series.Value);
                continue;
            }

            long cumulative = 0;
            for (int i = 0; i < instrument.Bounds.Count; i++)
            {
                cumulative += series.Buckets![i];
                Sample(text, name + "_bucket", series.Labels, Number(instrument.Bounds[i]), cumulative);
            }

            cumulative += series.Buckets![instrument.Bounds.Count];
            Sample(text, name + "_bucket", series.Labels, "+Inf", cumulative);
            Sample(text, name + "_sum", series.Labels, null, series.Sum);
            Sample(text, name + "_count", series.Labels, null, series.Count);
        }
    }

    private static void Sample(StringBuilder text, string name, IReadOnlyList<KeyValuePair<string, string>> labels, string? le, double value)
    {
        text.Append(name);
        if (labels.Count > 0 || le is not null)
        {
            text.Append('{');
            bool first = true;
            foreach (var label in labels)
            {
                if (!first)
                {
                    text.Append(',');
                }

                first = false;
                text.Append(label.Key).Append("=\"").Append(EscapeLabel(label.Value)).Append('"');
            }

            if (le is not null)
            {
                text.Append(first ? "" : ",").Append("le=\"").Append(le).Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(Number(value)).Append('\n');
    }
}
