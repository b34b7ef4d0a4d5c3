namespace Milters.LoadGen.Protocol;

/// <summary>The filter broke the protocol (bad frame, unexpected reply, early close).</summary>
internal sealed class MilterProtocolException(string message) : Exception(message);
