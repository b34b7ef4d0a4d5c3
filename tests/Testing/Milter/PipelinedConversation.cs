using System.Net;
using System.Net.Sockets;
using System.Text;
using static Milters.Testing.Milter.MilterFrames;

namespace Milters.Testing.Milter;

/// <summary>
/// The wire bytes of a small conversation in which every command is sent and answered, for tests that write whole
/// conversations ahead without waiting (a greedy MTA) and count the replies themselves.
/// </summary>
public static class PipelinedConversation
{
    /// <summary>OPTNEG, CONNECT, HELO: replies 'O', 'c', 'c'.</summary>
    public static byte[] Session() =>
    [
        // Version 6, every action, of the protocol flags only SMFIP_HDR_LEADSPC: every command is sent and answered.
        .. Frame('O', [.. U32(6), .. U32(0x1ff), .. U32(0x100000)]),
        .. Frame('C', [.. Cstr("client.example.org"), (byte)'4', 0x1f, 0x90, .. Cstr("192.0.2.1")]),
        .. Frame('H', Cstr("client.example.org")),
    ];

    /// <summary>MAIL, RCPT, one header, EOH, one body chunk, EOM: a 'c' each, after the plugins' edits at EOM.</summary>
    public static byte[] Message() =>
    [
        .. Frame('M', Cstr("<a@example.org>")),
        .. Frame('R', Cstr("<b@example.net>")),
        .. Frame('L', [.. Cstr("Subject"), .. Cstr(" hello")]),
        .. Frame('N', []),
        .. Frame('B', Encoding.ASCII.GetBytes("body\r\n")),
        .. Frame('E', []),
    ];

    /// <summary>A TCP connection without Nagle's delay, as MTAs open theirs.</summary>
    public static async Task<Socket> ConnectAsync(EndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server);
        return socket;
    }
}
