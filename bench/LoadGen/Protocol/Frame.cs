namespace Milters.LoadGen.Protocol;

/// <summary>One received frame; <see cref="Data"/> is valid only until the next read.</summary>
internal readonly record struct Frame(byte Command, ReadOnlyMemory<byte> Data);
