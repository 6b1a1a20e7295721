using Windsock.Bench;

if (args is ["freeport"])
{
    Console.WriteLine(FreePort.Find().ToString(System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (FormatException ex)
{
    Console.Error.WriteLine("windsock-bench: " + ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var connector = new TunnelConnector(options.Proxy, options.Credentials);
var report = new ResultReport(Console.Out);
try
{
    if (options.Mode == "throughput")
    {
        var load = new ThroughputLoad(connector, options.Streams, options.Duration, options.Warmup, options.BufferSize, options.Timeout);
        ThroughputResult result = await load.RunAsync(cancel.Token);
        if (options.Json)
        {
            report.WriteJson(options, result);
        }
        else
        {
            report.WriteTable(options, result);
        }

        return result.Bytes > 0 ? 0 : 1;
    }
    else
    {
        var load = new ConnectionRateLoad(connector, options.Concurrency, options.Duration, options.Warmup, options.MaxConnections, options.Timeout);
        ConnectionRateResult result = await load.RunAsync(cancel.Token);
        if (options.Json)
        {
            report.WriteJson(options, result);
        }
        else
        {
            report.WriteTable(options, result);
        }

        return result.Succeeded > 0 ? 0 : 1;
    }
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("windsock-bench: interrupted");
    return 130;
}
