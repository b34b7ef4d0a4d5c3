using Milters.Host.Commands;

// `milters [COMMAND] [options]`; see CommandLineApp for dispatch and Hosting/ for the milter itself.
return await CommandLineApp.RunAsync(args, Console.Out, Console.Error);
