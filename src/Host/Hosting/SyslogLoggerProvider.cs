using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Milters.Host.Hosting;

/// <summary>
/// Logs to the local syslog daemon the way dk-filter and sid-filter did (openlog("…", LOG_PID, LOG_MAIL)),
/// so lines land in /var/log/maillog: RFC 3164 datagrams on the Unix socket /dev/log, facility mail,
/// ident "milters" with the pid. Written here because no maintained Microsoft.Extensions.Logging syslog
/// provider is available to this project (the package lists hold none), and the format is one line of code.
/// </summary>
public sealed class SyslogLoggerProvider : ILoggerProvider
{
    public const string DefaultSocketPath = "/dev/log";
    private const int FacilityMail = 2; // LOG_MAIL (RFC 3164 §4.1.1)

    private readonly string socketPath;
    private readonly string ident;
    private readonly LogLevel minimum;
    private readonly object gate = new();
    private readonly int pid = Environment.ProcessId;
    private Socket? socket;
    private bool warned;

    /// <summary>Lines not sent because syslogd was not reading (its queue full); said in the next line that goes out.</summary>
    private long dropped;

    /// <summary>
    /// The last wait for room ran out: syslogd is stuck, so lines are dropped at once (no thread waits again) until
    /// one goes through.
    /// </summary>
    private bool stalled;

    /// <summary>How long a line waits for room in syslogd's queue before it is counted as dropped.</summary>
    public static readonly TimeSpan DefaultRoomWait = TimeSpan.FromMilliseconds(250);

    private readonly TimeSpan roomWait;

    public SyslogLoggerProvider(string? socketPath = null, string ident = "milters", LogLevel minimum = LogLevel.Trace, TimeSpan? roomWait = null)
    {
        this.roomWait = roomWait ?? DefaultRoomWait;
        this.socketPath = socketPath ?? DefaultSocketPath;
        this.ident = ident;
        this.minimum = minimum;
    }

    public ILogger CreateLogger(string categoryName) => new SyslogLogger(this, minimum);

    /// <summary>LOG_EMERG..LOG_DEBUG (RFC 3164 §4.1.1 table 2).</summary>
    public static int Severity(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,    // LOG_CRIT
        LogLevel.Error => 3,       // LOG_ERR
        LogLevel.Warning => 4,     // LOG_WARNING
        LogLevel.Information => 6, // LOG_INFO
        _ => 7,                    // LOG_DEBUG
    };

    /// <summary>"&lt;PRI&gt;Mmm dd hh:mm:ss ident[pid]: message" — what glibc's syslog(3) sends to /dev/log.</summary>
    public string Format(LogLevel level, string message, DateTime localTime)
    {
        var pri = FacilityMail * 8 + Severity(level);
        // RFC 3164 §4.1.2: the day is space-padded ("Nov  9").
        var stamp = localTime.ToString("MMM", CultureInfo.InvariantCulture) + " " +
                    localTime.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2) + " " +
                    localTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        return $"<{pri}>{stamp} {ident}[{pid}]: {message}";
    }

    internal void Write(LogLevel level, string message)
    {
        var bytes = Encoding.UTF8.GetBytes(Format(level, OneLine(message), DateTime.Now));
        lock (gate)
        {
            for (var attempt = 0; attempt < 2; attempt++)
            {
                try
                {
                    socket ??= Connect();
                    if (dropped > 0)
                    {
                        var notice = Encoding.UTF8.GetBytes(Format(LogLevel.Warning,
                            $"syslog did not take {dropped} log line(s): its queue was full", DateTime.Now));
                        if (!SendWaiting(socket, notice)) { dropped++; return; }
                        dropped = 0;
                    }
                    if (!SendWaiting(socket, bytes)) dropped++;
                    return;
                }
                catch (SocketException e)
                {
                    // syslogd restarted (ECONNREFUSED) or is absent: reconnect once, then give up on this line.
                    socket?.Dispose();
                    socket = null;
                    if (attempt == 1 && !warned)
                    {
                        warned = true;
                        Console.Error.WriteLine($"milters: cannot log to syslog at {socketPath}: {e.Message}");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Sends one datagram. syslogd's queue is short (net.unix.max_dgram_qlen: 10 unless the system raises it), so a
    /// burst of lines meets a full queue while syslogd is busy reading: the line waits up to <see cref="DefaultRoomWait"/>
    /// for room. A blocking send would instead hold every thread that logs — and with them the MTA's conversations —
    /// for as long as a stopped syslogd does not read; after one wait runs out the following lines are dropped at
    /// once, counted, until syslogd reads again.
    /// </summary>
    private bool SendWaiting(Socket s, byte[] datagram)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                s.Send(datagram);
                stalled = false;
                return true;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.NoBufferSpaceAvailable)
            {
                if (stalled || attempt > 0) { stalled = true; return false; }
                // A unix datagram socket becomes writable when the receiver's queue has room again.
                s.Poll(roomWait, SelectMode.SelectWrite);
            }
        }
    }

    private Socket Connect()
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(socketPath));
            s.Blocking = false;
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    private static string OneLine(string message) =>
        message.Contains('\n') || message.Contains('\r') ? message.Replace("\r\n", " ").Replace('\n', ' ').Replace('\r', ' ') : message;

    public void Dispose()
    {
        lock (gate)
        {
            if (dropped > 0) Console.Error.WriteLine($"milters: syslog did not take the last {dropped} log line(s): its queue was full");
            socket?.Dispose();
            socket = null;
        }
    }

    private sealed class SyslogLogger(SyslogLoggerProvider provider, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            if (exception is not null) message += $": {exception.GetType().Name}: {exception.Message}";
            provider.Write(logLevel, message);
        }
    }
}
