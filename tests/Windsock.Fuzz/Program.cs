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
    // Persistent mode: one process runs input after input; an exception out of the target ends it, which
    // AFL++ records as a crash with that input. (Out-of-process mode saved spurious SIGINT "crashes" here
    // that did not replay.) Inputs are small (AFL++ keeps them under a few KiB).
    Fuzzer.Run(stream =>
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
