using Milters.LoadGen.Chart;
using Milters.LoadGen.Run;

// The instrument should take as little of the shared cores as it can: socket completions on the epoll
// threads instead of a thread-pool hand-off each cut its CPU per message by about a quarter (0.45 → 0.33 ms,
// 4 KB, one connection per message). Must be set before the first socket operation; an explicit value wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

try
{
    if (args.Length > 0 && args[0] == "chart") return ChartCommand.Execute(args[1..]);
    return await RunCommand.ExecuteAsync(args.Length > 0 && args[0] == "run" ? args[1..] : args);
}
catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"milters-loadgen: {e.Message}");
    Console.Error.WriteLine("try: milters-loadgen --help");
    return 1;
}
