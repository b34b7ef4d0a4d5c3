using System.Text;

namespace Milters.Host.Commands;

/// <summary>
/// Splits an old daemon's command line, as copied from an init script (`-d "a,b" -M 'x y'`), into
/// arguments the way /bin/sh would for the quoting people use there: single quotes, double quotes with
/// backslash escapes, backslash outside quotes. No expansion: `$VAR` stays as written.
/// </summary>
internal static class MigrateShellWords
{
    public static IReadOnlyList<string> Split(string commandLine)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord) { words.Add(current.ToString()); current.Clear(); inWord = false; }
                    break;
                case '\'':
                {
                    inWord = true;
                    var end = commandLine.IndexOf('\'', i + 1);
                    if (end < 0) throw new FormatException($"unterminated ' in: {commandLine}");
                    current.Append(commandLine, i + 1, end - i - 1);
                    i = end;
                    break;
                }
                case '"':
                    inWord = true;
                    for (i++; ; i++)
                    {
                        if (i >= commandLine.Length) throw new FormatException($"unterminated \" in: {commandLine}");
                        if (commandLine[i] == '"') break;
                        if (commandLine[i] == '\\' && i + 1 < commandLine.Length && commandLine[i + 1] is '"' or '\\' or '$' or '`') i++;
                        current.Append(commandLine[i]);
                    }
                    break;
                case '\\' when i + 1 < commandLine.Length:
                    inWord = true;
                    current.Append(commandLine[++i]);
                    break;
                default:
                    inWord = true;
                    current.Append(c);
                    break;
            }
        }
        if (inWord) words.Add(current.ToString());
        return words;
    }
}
