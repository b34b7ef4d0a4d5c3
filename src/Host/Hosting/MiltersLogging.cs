using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Milters.Host.Hosting;

/// <summary>
/// Console (one line per event, to stderr; journald-formatted under systemd via UseSystemd) by default;
/// syslog with <c>-l</c> / <c>Logging:Syslog=true</c>. Levels from <c>Logging:LogLevel</c>.
/// </summary>
public static class MiltersLogging
{
    public static void Configure(ILoggingBuilder logging, IConfiguration configuration)
    {
        logging.ClearProviders();
        HostSettingsCheck.ValidateLogging(configuration);
        var section = configuration.GetSection("Logging");
        logging.AddConfiguration(section);
        if (!section.GetSection("LogLevel").Exists()) logging.SetMinimumLevel(LogLevel.Information);

        if (ConfigValues.ReadBool(section, "Syslog", false))
        {
            var path = section["SyslogSocket"];
            var ident = section["SyslogIdentity"] is { Length: > 0 } name ? name : "milters";
            logging.Services.AddSingleton<ILoggerProvider>(_ => new SyslogLoggerProvider(path, ident));
            return;
        }

        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.IncludeScopes = false;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff ";
        });
        // Everything to stderr: stdout stays for command output (check-config), and journald takes both.
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
