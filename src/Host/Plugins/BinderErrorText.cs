using System.Text.RegularExpressions;

namespace Milters.Host.Plugins;

/// <summary>
/// Makes the configuration binder's conversion error say what would have been accepted. The binder names the key,
/// the value and the .NET type ("…to type 'Milters.DomainKeys.FailureAction'"), which leaves an administrator
/// guessing; for an enumeration the type's names are the answer, so they are added.
/// </summary>
internal static partial class BinderErrorText
{
    [GeneratedRegex(@"to type '(?<type>[^']+)'")]
    private static partial Regex TargetType();

    public static string Explain(Exception error, System.Reflection.Assembly pluginAssembly)
    {
        var message = error.Message;
        var match = TargetType().Match(message);
        if (!match.Success) return message;
        var typeName = match.Groups["type"].Value;
        var type = pluginAssembly.GetType(typeName, throwOnError: false) ?? Type.GetType(typeName, throwOnError: false);
        if (type is null || !type.IsEnum) return message;
        return $"{message.TrimEnd('.')}; expected one of: {string.Join(", ", Enum.GetNames(type))}";
    }
}
