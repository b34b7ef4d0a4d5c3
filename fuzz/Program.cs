using System.Runtime.ExceptionServices;
using SharpFuzz;

namespace Milters.Fuzz;

/// <summary>
/// `Milters.Fuzz TARGET` runs one target under AFL++ (persistent mode, input on the AFL shared memory);
/// `--libfuzzer` under libfuzzer-dotnet; `--replay FILE|DIR…` runs saved inputs once each, outside any
/// fuzzer, and prints the first unexpected exception with its stack (exit 1) — how a crash is reproduced.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Targets.All.TryGetValue(args[0], out var target))
        {
            Console.Error.WriteLine("usage: Milters.Fuzz TARGET [--libfuzzer | --replay FILE|DIR...]");
            Console.Error.WriteLine("targets: " + string.Join(", ", Targets.All.Keys));
            return 64;
        }

        if (args.Length > 1 && args[1] == "--replay") return Replay(target, args.Skip(2));
        if (args.Length > 1 && args[1] == "--libfuzzer")
        {
            Fuzzer.LibFuzzer.Run(span => target(span));
            return 0;
        }

        // AFL++: the input arrives as a stream; each run gets its own copy.
        Fuzzer.Run(stream =>
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            target(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        });
        return 0;
    }

    private static int Replay(Targets.Target target, IEnumerable<string> paths)
    {
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Order() : (IEnumerable<string>)[p]).ToList();
        var failed = 0;
        foreach (var file in files)
        {
            try
            {
                target(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failed++;
                Console.Error.WriteLine($"FINDING {file}: {Convert.ToHexString(File.ReadAllBytes(file)).ToLowerInvariant()}");
                Console.Error.WriteLine(e);
            }
        }
        Console.Error.WriteLine($"replayed {files.Count} input(s), {failed} finding(s)");
        return failed == 0 ? 0 : 1;
    }
}
