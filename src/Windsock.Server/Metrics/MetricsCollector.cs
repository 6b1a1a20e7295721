using System.Diagnostics.Metrics;

namespace Windsock.Server.Metrics;

/// <summary>
/// Listens to the instruments of one <see cref="Meter"/> and keeps their values per tag set: sums for
/// counters, the latest value for observable instruments (asked for at each <see cref="Collect"/>), bucket
/// counts for histograms. <see cref="PrometheusText"/> writes what it holds.
/// </summary>
/// <remarks>
/// A measurement finds its series by comparing tag values with the series it has (a handful per instrument),
/// so recording allocates nothing once a series exists. Series per instrument are capped: a tag whose values
/// should never have been a label cannot grow the server's memory without bound.
/// </remarks>
public sealed class MetricsCollector : IDisposable
{
    /// <summary>Measurements of a tag set beyond this many series of one instrument are not kept.</summary>
    public const int MaxSeriesPerInstrument = 1000;

    private readonly Meter _meter;
    private readonly MeterListener _listener = new();
    private readonly List<InstrumentState> _instruments = [];
    private readonly object _collectGate = new();

    public MetricsCollector(Meter meter)
    {
        _meter = meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!ReferenceEquals(instrument.Meter, _meter) || Kind(instrument) is not { } kind)
            {
                return;
            }

            var state = new InstrumentState(instrument, kind, Buckets(instrument));
            lock (_instruments)
            {
                _instruments.Add(state);
            }

            listener.EnableMeasurementEvents(instrument, state);
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Asks the observable instruments for their values and returns every instrument's series, in creation order.</summary>
    public IReadOnlyList<InstrumentSnapshot> Collect()
    {
        lock (_collectGate)
        {
            InstrumentState[] instruments;
            lock (_instruments)
            {
                instruments = [.. _instruments];
            }

            foreach (var state in instruments.Where(s => s.Instrument.IsObservable))
            {
                state.Clear();
            }

            _listener.RecordObservableInstruments();
            return [.. instruments.Select(s => s.Snapshot())];
        }
    }

    public void Dispose() => _listener.Dispose();

    private static MetricKind? Kind(Instrument instrument) => instrument switch
    {
        Counter<long> or Counter<double> or Counter<int> or ObservableCounter<long> or ObservableCounter<double> or ObservableCounter<int> => MetricKind.Counter,
        UpDownCounter<long> or UpDownCounter<double> or UpDownCounter<int> or ObservableUpDownCounter<long> or ObservableUpDownCounter<double> or ObservableUpDownCounter<int>
            or ObservableGauge<long> or ObservableGauge<double> or ObservableGauge<int> or Gauge<long> or Gauge<double> or Gauge<int> => MetricKind.Gauge,
        Histogram<double> or Histogram<long> or Histogram<int> => MetricKind.Histogram,
        _ => null,
    };

    // OpenTelemetry's default boundaries where an instrument gives no advice (seconds for latencies would want ours).
    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private static double[] Buckets(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds],
        Histogram<long> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(b => (double)b)],
        _ => DefaultBuckets,
    };

    private sealed class InstrumentState(Instrument instrument, MetricKind kind, double[] buckets)
    {
        private readonly List<Series> _series = [];

        public Instrument Instrument { get; } = instrument;

        public void Clear()
        {
            lock (_series)
            {
                _series.Clear();
            }
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (_series)
            {
                var series = Find(tags);
                if (series is null)
                {
                    if (_series.Count >= MaxSeriesPerInstrument)
                    {
                        return;
                    }

                    series = new Series(Labels(tags), kind == MetricKind.Histogram ? new long[buckets.Length + 1] : null);
                    _series.Add(series);
                }

                switch (kind)
                {
                    case MetricKind.Histogram:
                        int bucket = Array.BinarySearch(buckets, value);
                        // BinarySearch: an exact hit is that bucket (le is inclusive), a miss gives the next larger bound.
                        series.Buckets![bucket >= 0 ? bucket : ~bucket]++;
                        series.Sum += value;
                        series.Count++;
                        break;
                    case MetricKind.Counter when !Instrument.IsObservable:
                        series.Value += value;
                        break;
                    default:
                        // Observable instruments report their current value; a synchronous gauge its latest.
                        series.Value = value;
                        break;
                }
            }
        }

        public InstrumentSnapshot Snapshot()
        {
            lock (_series)
            {
                return new InstrumentSnapshot(
                    Instrument.Name,
                    Instrument.Unit,
                    Instrument.Description,
                    kind,
                    buckets,
                    [.. _series.Select(s => new SeriesSnapshot(s.Labels, s.Value, s.Buckets is null ? null : [.. s.Buckets], s.Sum, s.Count))]);
            }
        }

        private Series? Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var series in _series)
            {
                if (Matches(series.Labels, tags))
                {
                    return series;
                }
            }

            return null;
        }

        private static bool Matches(KeyValuePair<string, string>[] labels, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (labels.Length != tags.Length)
            {
                return false;
            }

            foreach (var tag in tags)
            {
                bool found = false;
                foreach (var label in labels)
                {
                    if (string.Equals(label.Key, tag.Key, StringComparison.Ordinal))
                    {
                        found = tag.Value is string text ? string.Equals(label.Value, text, StringComparison.Ordinal) : string.Equals(label.Value, Text(tag.Value), StringComparison.Ordinal);
                        break;
                    }
                }

                if (!found)
                {
                    return false;
                }
            }

            return true;
        }

        private static KeyValuePair<string, string>[] Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = new KeyValuePair<string, string>[tags.Length];
            for (int i = 0; i < tags.Length; i++)
            {
                labels[i] = new(tags[i].Key, Text(tags[i].Value));
            }

            // Sorted by name: the exposition is the same whatever order a call site passed its tags in.
            Array.Sort(labels, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return labels;
        }

        private static string Text(object? value) => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
    }

    private sealed class Series(KeyValuePair<string, string>[] labels, long[]? buckets)
    {
        public KeyValuePair<string, string>[] Labels { get; } = labels;

        /// <summary>Per bucket (not cumulative), the last one above every bound (+Inf).</summary>
        public long[]? Buckets { get; } = buckets;

        public double Value { get; set; }

        public double Sum { get; set; }

        public long Count { get; set; }
    }
}

public enum MetricKind
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>One instrument's series at a collection.</summary>
public sealed record InstrumentSnapshot(string Name, string? Unit, string? Description, MetricKind Kind, IReadOnlyList<double> Bounds, IReadOnlyList<SeriesSnapshot> Series);

/// <summary>One tag set's value; for histograms the per-bucket counts (last: above every bound), sum and count.</summary>
public sealed record SeriesSnapshot(IReadOnlyList<KeyValuePair<string, string>> Labels, double Value, IReadOnlyList<long>? Buckets, double Sum, long Count);
