using SharpFuzz;
using Windsock.Fuzz;

// windsock-fuzz TARGET                 run under AFL++ (afl-fuzz ... -- dotnet Windsock.Fuzz.dll TARGET), persistent mode
// windsock-fuzz TARGET FILE|DIR...     run the target once per file (replay a corpus or a crash, no AFL++)
// windsock-fuzz --list                 the targets
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: Windsock.Fuzz TARGET [FILE|DIR...] | --list");
    return 2;
}

if (args[0] == "--list")
{
    foreach (var name in FuzzTargets.All.Keys.Order(StringComparer.Ordinal))
    {
        Console.WriteLine(name);
    }

    return 0;
}

if (!FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"Windsock.Fuzz: no target '{args[0]}'; --list shows them");
    return 2;
}

if (args.Length == 1)
{
    // Out of process: a stack overflow or an abort in the target is a crash AFL++ records, not the end of
    // the fuzzing run. Inputs are small (AFL++ keeps them under a few KiB).
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var input = new MemoryStream();
        stream.CopyTo(input);
        target(input.ToArray());
    });
    return 0;
}

int failures = 0;
foreach (var file in args.Skip(1).SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]))
{
    try
    {
        target(File.ReadAllBytes(file));
    }
    catch (Exception e)
    {
        failures++;
        Console.Error.WriteLine($"{file}: {e}");
    }
}

return failures == 0 ? 0 : 1;
