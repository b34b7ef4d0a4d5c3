using System.Reflection;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Milters.Abstractions;
using Milters.Host.Hosting;

namespace Milters.Host.Plugins;

/// <summary>
/// Finds plugins in drop-in folders: <c>DIR/&lt;Folder&gt;/&lt;Folder&gt;.dll</c> plus its dependencies, each
/// folder in its own McMaster load context. The contract (Milters.Abstractions) and the Microsoft.Extensions
/// abstractions it speaks in are shared with the host, so a plugin's IMilterPlugin is the host's
/// IMilterPlugin; everything else a plugin brings stays private to it. Only folders needed by
/// <c>Plugins:Order</c> are loaded. Loaders are kept for the life of the process (a reload re-configures
/// plugins; replacing a plugin's dll needs a restart).
/// </summary>
public sealed class PluginCatalog
{
    /// <summary>Types whose assemblies the host and every plugin must agree on.</summary>
    public static readonly Type[] SharedTypes =
    [
        typeof(IMilterPlugin),
        typeof(IServiceCollection),
        typeof(ServiceCollectionServiceExtensions),
        typeof(IConfiguration),
        typeof(ConfigurationBinder),
        typeof(ILogger),
        typeof(ILoggerFactory),
        typeof(IOptions<>),
        typeof(OptionsServiceCollectionExtensions),
    ];

    private readonly Dictionary<string, PluginLoader> loaders = new(StringComparer.Ordinal);
    private readonly object gate = new();

    /// <summary>A plugin type found in a folder.</summary>
    public sealed record Candidate(string Name, Type Type, string Folder);

    /// <summary>
    /// Finds the plugin called <paramref name="name"/>: first in the folder of that name, then in the other
    /// folders. Throws a <see cref="StartupException"/> naming the plugin and the directory searched.
    /// </summary>
    public Candidate Find(string directory, string name)
    {
        if (!Directory.Exists(directory))
            throw new StartupException($"plugin \"{name}\" in Plugins:Order was not found: plugins directory {directory} does not exist (set Plugins:Directory or --plugins)");

        var folders = Directory.GetDirectories(directory).OrderBy(f => f, StringComparer.Ordinal).ToList();
        var preferred = folders.Where(f => string.Equals(Path.GetFileName(f), name, StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var folder in preferred.Concat(folders.Except(preferred)))
        {
            foreach (var candidate in Load(folder))
            {
                if (string.Equals(candidate.Name, name, StringComparison.Ordinal)) return candidate;
            }
        }

        foreach (var folder in preferred)
        {
            var dll = Path.Combine(folder, Path.GetFileName(folder) + ".dll");
            if (!File.Exists(dll))
                throw new StartupException($"plugin \"{name}\" in Plugins:Order was not found: {folder} has no {Path.GetFileName(dll)}");
            var names = Load(folder).Select(c => c.Name).ToList();
            throw new StartupException($"plugin \"{name}\" in Plugins:Order was not found: {dll} holds {(names.Count == 0 ? "no IMilterPlugin" : "only " + string.Join(", ", names))}");
        }

        var seen = folders.Select(Path.GetFileName).Where(f => File.Exists(Path.Combine(directory, f!, f + ".dll"))).ToList();
        throw new StartupException($"plugin \"{name}\" in Plugins:Order was not found in {directory} (plugin folders there: {(seen.Count == 0 ? "none" : string.Join(", ", seen))})");
    }

    /// <summary>The plugins in one folder; a folder without &lt;Folder&gt;.dll has none.</summary>
    public IReadOnlyList<Candidate> Load(string folder)
    {
        var folderName = Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(folder, folderName + ".dll");
        if (!File.Exists(dll)) return [];

        Assembly assembly;
        try
        {
            assembly = Loader(dll).LoadDefaultAssembly();
        }
        catch (Exception e) when (e is not (OutOfMemoryException or StartupException))
        {
            // A drop-in folder is outside input (a dll replaced or removed mid-build, a broken deps.json…):
            // whatever the loader throws is a one-line start-up error naming the dll, never a crash.
            throw new StartupException($"cannot load plugin {dll}: {e.Message}", e);
        }

        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            var why = e.LoaderExceptions.FirstOrDefault(x => x is not null)?.Message ?? e.Message;
            throw new StartupException($"cannot load plugin {dll}: {why}", e);
        }

        var found = new List<Candidate>();
        foreach (var type in types)
        {
            if (!typeof(IMilterPlugin).IsAssignableFrom(type) || type.IsAbstract || type.IsInterface) continue;
            if (type.GetConstructor(Type.EmptyTypes) is null)
                throw new StartupException($"plugin {type.FullName} in {dll} has no public parameterless constructor");
            var plugin = Create(type, dll);
            found.Add(new Candidate(plugin.Name, type, folder));
        }
        return found;
    }

    /// <summary>A fresh plugin instance (one per configuration generation).</summary>
    public static IMilterPlugin Create(Type type, string where)
    {
        try
        {
            return (IMilterPlugin)Activator.CreateInstance(type)!;
        }
        catch (TargetInvocationException e)
        {
            throw new StartupException($"plugin {type.FullName} in {where} failed to start: {e.InnerException?.Message ?? e.Message}", e);
        }
    }

    private PluginLoader Loader(string dll)
    {
        lock (gate)
        {
            if (!loaders.TryGetValue(dll, out var loader))
            {
                loader = PluginLoader.CreateFromAssemblyFile(dll, SharedTypes, config => config.PreferSharedTypes = true);
                loaders[dll] = loader;
            }
            return loader;
        }
    }
}
