using System.Diagnostics.Metrics;
using System.Net;
using Windsock.Policy;
using Windsock.Server.Metrics;
using Windsock.Server.Sessions;
using Xunit;

namespace Windsock.Server.Tests.Metrics;

/// <summary>The exposition text of known measurements, line by line, as Prometheus reads it.</summary>
public sealed class PrometheusTextTests
{
    [Fact]
    public void Counters_sum_per_tag_set_whatever_the_tag_order_and_end_in_total()
    {
        using var meter = new Meter("test.counters");
        using var collector = new MetricsCollector(meter);
        var counter = meter.CreateCounter<long>("windsock.things", "{thing}", "Things seen");
        counter.Add(2, new("kind", "a"), new("side", "up"));
        counter.Add(3, new("side", "up"), new("kind", "a"));
        counter.Add(1, new("kind", "b"), new("side", "up"));
        string text = PrometheusText.Write(collector.Collect());
        Assert.Equal(
            "# HELP windsock_things_total Things seen\n"
            + "# TYPE windsock_things_total counter\n"
            + "windsock_things_total{kind=\"a\",side=\"up\"} 5\n"
            + "windsock_things_total{kind=\"b\",side=\"up\"} 1\n",
            text);
    }

    [Fact]
    public void Histograms_have_cumulative_buckets_with_inclusive_bounds_sum_and_count_in_seconds()
    {
        using var meter = new Meter("test.histograms");
        using var collector = new MetricsCollector(meter);
        var histogram = meter.CreateHistogram("windsock.wait.duration", "s", "Waits", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        histogram.Record(0.1);
        histogram.Record(0.5);
        histogram.Record(7);
        string text = PrometheusText.Write(collector.Collect());
        Assert.Equal(
            "# HELP windsock_wait_duration_seconds Waits\n"
            + "# TYPE windsock_wait_duration_seconds histogram\n"
            + "windsock_wait_duration_seconds_bucket{le=\"0.1\"} 1\n"
            + "windsock_wait_duration_seconds_bucket{le=\"1\"} 2\n"
            + "windsock_wait_duration_seconds_bucket{le=\"+Inf\"} 3\n"
            + "windsock_wait_duration_seconds_sum 7.6\n"
            + "windsock_wait_duration_seconds_count 3\n",
            text);
    }

    [Fact]
    public void Observable_instruments_report_their_current_value_at_each_collection()
    {
        using var meter = new Meter("test.observable");
        using var collector = new MetricsCollector(meter);
        long value = 10;
        meter.CreateObservableCounter("windsock.relayed", () => value, "By", "Bytes");
        meter.CreateObservableUpDownCounter("windsock.open", () => value / 10, "{session}", "Open");
        Assert.Contains("windsock_relayed_bytes_total 10\n", PrometheusText.Write(collector.Collect()), StringComparison.Ordinal);
        value = 30;
        string second = PrometheusText.Write(collector.Collect());
        Assert.Contains("windsock_relayed_bytes_total 30\n", second, StringComparison.Ordinal);
        Assert.Contains("# TYPE windsock_open gauge\nwindsock_open 3\n", second, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_values_escape_backslash_quote_and_line_feed()
    {
        Assert.Equal("a\\\\b\\\"c\\nd", PrometheusText.EscapeLabel("a\\b\"c\nd"));
        using var meter = new Meter("test.escape");
        using var collector = new MetricsCollector(meter);
        meter.CreateCounter<long>("windsock.denials", "{request}", "Denied").Add(1, new KeyValuePair<string, object?>("rule", "say \"no\""));
        Assert.Contains("windsock_denials_total{rule=\"say \\\"no\\\"\"} 1\n", PrometheusText.Write(collector.Collect()), StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_collectors_own_meter_is_exported()
    {
        using var mine = new Meter("test.same.name");
        using var other = new Meter("test.same.name");
        using var collector = new MetricsCollector(mine);
        mine.CreateCounter<long>("windsock.mine").Add(1);
        other.CreateCounter<long>("windsock.other").Add(1);
        string text = PrometheusText.Write(collector.Collect());
        Assert.Contains("windsock_mine_total 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("windsock_other", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Series_per_instrument_are_capped()
    {
        using var meter = new Meter("test.cap");
        using var collector = new MetricsCollector(meter);
        var counter = meter.CreateCounter<long>("windsock.many");
        for (int i = 0; i < MetricsCollector.MaxSeriesPerInstrument + 50; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("n", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.Equal(MetricsCollector.MaxSeriesPerInstrument, collector.Collect().Single().Series.Count);
    }

    [Fact]
    public void Server_metrics_move_a_sessions_bytes_from_the_live_list_into_the_totals_and_count_it_once()
    {
        using var metrics = new ServerMetrics();
        using var collector = new MetricsCollector(metrics.Meter);
        string Scrape() => PrometheusText.Write(collector.Collect());
        var record = new SessionRecord(7, new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 1080), DateTimeOffset.UtcNow)
        {
            Version = PolicyVersion.Socks5,
            Command = Windsock.Protocol.Socks5.Socks5Command.Connect,
            ReplyCode = 0,
        };
        var live = metrics.SessionStarted(record);
        record.AddBytesUp(100);
        record.AddBytesDown(2000);
        string during = Scrape();
        Assert.Contains("windsock_sessions_active{command=\"connect\",version=\"5\"} 1\n", during, StringComparison.Ordinal);
        Assert.Contains("windsock_relayed_bytes_total{direction=\"up\"} 100\n", during, StringComparison.Ordinal);
        Assert.DoesNotContain("windsock_sessions_total{", during, StringComparison.Ordinal);

        metrics.SessionEnded(live);
        string after = Scrape();
        Assert.Contains("windsock_sessions_total{command=\"connect\",version=\"5\"} 1\n", after, StringComparison.Ordinal);
        Assert.Contains("windsock_replies_total{code=\"0\",version=\"5\"} 1\n", after, StringComparison.Ordinal);
        Assert.Contains("windsock_relayed_bytes_total{direction=\"down\"} 2000\n", after, StringComparison.Ordinal);
        Assert.DoesNotContain("windsock_sessions_active{", after, StringComparison.Ordinal);
        Assert.Equal(0, metrics.Live.Count);
    }

    [Fact]
    public void Denials_are_labelled_by_rule_name_number_or_default()
    {
        var named = new AccessRule { Action = RuleAction.Deny, Name = "no telnet" };
        Assert.Equal("no telnet", ServerMetrics.RuleLabel(new Decision { Outcome = DecisionOutcome.Deny, Basis = DecisionBasis.Rule, Rule = named, RuleNumber = 1, Reason = "r" }));
        Assert.Equal("rule 4", ServerMetrics.RuleLabel(new Decision { Outcome = DecisionOutcome.Deny, Basis = DecisionBasis.Rule, Rule = new AccessRule { Action = RuleAction.Deny }, RuleNumber = 4, Reason = "r" }));
        Assert.Equal("default", ServerMetrics.RuleLabel(new Decision { Outcome = DecisionOutcome.Deny, Basis = DecisionBasis.NoRuleMatched, Reason = "r" }));
        Assert.Equal("safe_default", ServerMetrics.RuleLabel(new Decision { Outcome = DecisionOutcome.Deny, Basis = DecisionBasis.SafeDefault, Reason = "r" }));
    }
}
