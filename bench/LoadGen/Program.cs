using Milters.LoadGen.Chart;
using Milters.LoadGen.Run;

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
