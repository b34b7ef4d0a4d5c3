namespace Milters.Host.Compat;

/// <summary>
/// POSIX getopt(3) as dk-filter and sid-filter used it: clustered flags ("-lf"), values attached ("-r2")
/// or in the next argument ("-r 2"), an optstring where "x:" takes a value. Only flags, no operands.
/// </summary>
internal static class GetOpt
{
    public static IEnumerable<(char Flag, string? Value)> Parse(IReadOnlyList<string> args, string optstring, string tool)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg.Length < 2 || arg[0] != '-' || arg == "--")
                throw new LegacyCommandLineException($"unexpected argument \"{arg}\" ({tool} takes only flags)");
            for (var j = 1; j < arg.Length; j++)
            {
                var flag = arg[j];
                var at = optstring.IndexOf(flag);
                if (at < 0 || flag == ':') throw new LegacyCommandLineException($"unknown flag -{flag}");
                string? value = null;
                if (at + 1 < optstring.Length && optstring[at + 1] == ':')
                {
                    if (j + 1 < arg.Length) value = arg[(j + 1)..];
                    else if (i + 1 < args.Count) value = args[++i];
                    else throw new LegacyCommandLineException($"flag -{flag} needs a value");
                    j = arg.Length;
                }
                yield return (flag, value);
            }
        }
    }
}
