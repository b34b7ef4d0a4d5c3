namespace Milters.Host.Milter.Protocol;

/// <summary>
/// The peer broke the protocol (bad length, missing NUL, unknown or out-of-order command). The connection
/// is closed with one log line; it never means a bug on our side.
/// </summary>
public sealed class MilterProtocolException(string message) : Exception(message);
