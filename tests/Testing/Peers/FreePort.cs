using System.Net;
using System.Net.Sockets;

namespace Milters.Testing.Peers;

/// <summary>
/// Free loopback ports chosen by the kernel (bind to port 0), so parallel test projects never share a port.
/// There is a short window between release and reuse; fixtures retry their start once on "port in use".
/// </summary>
public static class FreePort
{
    /// <summary>A TCP port free on 127.0.0.1.</summary>
    public static int Tcp()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>A TCP port free on ::1.</summary>
    public static int Tcp6()
    {
        using var s = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>A port free for both UDP and TCP on 127.0.0.1 (a DNS server needs both).</summary>
    public static int UdpAndTcp()
    {
        for (var i = 0; i < 50; i++)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) { /* taken for TCP: try another */ }
        }
        throw new InvalidOperationException("no port free for both UDP and TCP on 127.0.0.1");
    }

    /// <summary>Distinct free TCP ports (e.g. an MTA's MTA and MSA listeners).</summary>
    public static int[] Tcp(int count)
    {
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                held.Add(s);
            }
            return held.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        }
        finally
        {
            foreach (var s in held) s.Dispose();
        }
    }
}
