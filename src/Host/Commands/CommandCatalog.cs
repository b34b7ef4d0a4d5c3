using System.Reflection;
using Milters.Host.Compat;

namespace Milters.Host.Commands;

/// <summary>
/// Every `milters NAME` command: each <see cref="ICliCommand"/> in this assembly (public parameterless
/// constructor), plus one <see cref="LegacyFilterCommand"/> per <see cref="ILegacyCommandLine"/>
/// (`milters dk-filter …`, `milters sid-filter …`). Found by reflection so adding a command touches no shared file.
/// </summary>
public static class CommandCatalog
{
    public static IReadOnlyDictionary<string, ICliCommand> Discover(Assembly? assembly = null)
    {
        assembly ??= typeof(CommandCatalog).Assembly;
        var commands = new SortedDictionary<string, ICliCommand>(StringComparer.Ordinal);
        foreach (var type in ConcreteTypes<ICliCommand>(assembly))
        {
            var command = (ICliCommand)Activator.CreateInstance(type)!;
            if (!commands.TryAdd(command.Name, command))
                throw new InvalidOperationException($"two commands are called \"{command.Name}\": {commands[command.Name].GetType()} and {type}");
        }
        foreach (var type in ConcreteTypes<ILegacyCommandLine>(assembly))
        {
            var translator = (ILegacyCommandLine)Activator.CreateInstance(type)!;
            // An explicit ICliCommand of the same name wins.
            commands.TryAdd(translator.Tool, new LegacyFilterCommand(translator));
        }
        return commands;
    }

    private static IEnumerable<Type> ConcreteTypes<T>(Assembly assembly) =>
        assembly.GetTypes().Where(t => typeof(T).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null);
}
