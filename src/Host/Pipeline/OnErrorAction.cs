namespace Milters.Host.Pipeline;

/// <summary>What the chain does with a message when a plugin throws (config "OnError" per plugin).</summary>
public enum OnErrorAction
{
    /// <summary>Answer SMFIR_TEMPFAIL (4xx): the MTA keeps the message and retries. The default: nothing is lost.</summary>
    TempFail,
    /// <summary>Answer SMFIR_ACCEPT: deliver without the remaining plugins.</summary>
    Accept,
    /// <summary>Answer SMFIR_REJECT (5xx).</summary>
    Reject,
    /// <summary>Log, note the plugin in IMessageContext.FailedPlugins, and go on with the next plugin.</summary>
    Continue,
}
