using Milters.LoadGen.Messages;
using Milters.LoadGen.Protocol;

namespace Milters.LoadGen.Client;

internal enum TrafficKind
{
    /// <summary>Submitted mail: {daemon_name}=MSA and {auth_authen} set, so a filter signs it.</summary>
    Sign,
    /// <summary>Mail arriving from outside: {daemon_name}=MTA, not authenticated, so a filter verifies it.</summary>
    Verify,
}

/// <summary>The macros and connection facts an MTA would hand over, per stage, as Postfix names them.</summary>
internal sealed class TrafficProfile(TrafficKind kind, string clientAddress, string mtaName)
{
    public TrafficKind Kind => kind;
    public string ClientAddress => clientAddress;
    public string ClientName => "localhost";
    public string Helo => kind == TrafficKind.Sign ? "client.example.com" : "client.example.org";
    public string MtaName => mtaName;

    public IEnumerable<(string Name, string Value)> Macros(MacroStage stage, TestMessage? message)
    {
        switch (stage)
        {
            case MacroStage.Connect:
                yield return ("j", mtaName);
                yield return ("{daemon_name}", kind == TrafficKind.Sign ? "MSA" : "MTA");
                yield return ("{daemon_addr}", "127.0.0.1");
                yield return ("v", "Postfix 3.7.11");
                yield return ("_", $"{ClientName} [{clientAddress}]");
                yield return ("{client_addr}", clientAddress);
                yield return ("{client_name}", ClientName);
                break;
            case MacroStage.EnvFrom:
                yield return ("i", message!.QueueId);
                if (kind == TrafficKind.Sign)
                {
                    yield return ("{auth_type}", "PLAIN");
                    yield return ("{auth_authen}", "alice");
                }
                yield return ("{mail_addr}", message.MailFrom);
                yield return ("{mail_host}", message.MailFrom[(message.MailFrom.IndexOf('@') + 1)..]);
                yield return ("{mail_mailer}", "smtp");
                break;
            case MacroStage.EnvRcpt:
                yield return ("i", message!.QueueId);
                yield return ("{rcpt_addr}", message.RcptTo);
                yield return ("{rcpt_host}", message.RcptTo[(message.RcptTo.IndexOf('@') + 1)..]);
                yield return ("{rcpt_mailer}", "smtp");
                break;
            case MacroStage.Data:
            case MacroStage.Eoh:
            case MacroStage.Eom:
                yield return ("i", message!.QueueId);
                break;
        }
    }
}
