using System.Buffers;

namespace Milters.Host.Milter.Protocol;

/// <summary>
/// One frame from the MTA: the command and its data (the payload after the command byte). The data
/// points into the connection's read buffer and is valid only until the reader advances.
/// </summary>
public readonly record struct MilterFrame(MilterCommand Command, ReadOnlySequence<byte> Data);
