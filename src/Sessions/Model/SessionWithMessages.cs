using System.Collections.Generic;
using MemoryPack;

namespace Strata.Sessions;

/// <summary>A chat session and its messages, in order.</summary>
[MemoryPackable]
public sealed partial class SessionWithMessages
{
    /// <summary>Creates a session with its messages.</summary>
    [MemoryPackConstructor]
    public SessionWithMessages(ChatSession session, IReadOnlyList<SessionMessage> messages)
    {
        Session = session;
        Messages = messages;
    }

    /// <summary>Gets the session.</summary>
    [ThroughFormatter]
    public ChatSession Session { get; }

    /// <summary>Gets the messages, the first one first.</summary>
    public IReadOnlyList<SessionMessage> Messages { get; }
}

/// <summary>
/// Has MemoryPack write a nested <see cref="ChatSession"/> through its registered formatter instead of the direct call
/// its generated code makes for a <c>[MemoryPackable]</c> member: that call, a static abstract method reached from shared
/// generic code, is a null pointer in a Native AOT build of .NET 10 (the process dies; dotnet/runtime#118705 reports the
/// same). The bytes are the same either way.
/// </summary>
internal sealed class ThroughFormatterAttribute : MemoryPackCustomFormatterAttribute<ThroughFormatterAttribute.Formatter, ChatSession>
{
    public override Formatter GetFormatter() => Formatter.Instance;

    internal sealed class Formatter : MemoryPackFormatter<ChatSession>
    {
        internal static readonly Formatter Instance = new();

        public override void Serialize<TBufferWriter>(ref MemoryPackWriter<TBufferWriter> writer, scoped ref ChatSession? value) => writer.WriteValue(value);

        public override void Deserialize(ref MemoryPackReader reader, scoped ref ChatSession? value) => reader.ReadValue(ref value);
    }
}
