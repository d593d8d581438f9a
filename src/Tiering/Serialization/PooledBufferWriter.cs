using System;
using System.Buffers;

namespace Strata.Tiering;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>. Writers themselves
/// are reused through <see cref="BufferWriterPool"/>, so encoding a value allocates nothing once warm.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int MinimumCapacity = 256;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(MinimumCapacity);
    private int _written;

    /// <summary>Gets the bytes written since the last <see cref="Reset"/>.</summary>
    internal ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>Gets the bytes written since the last <see cref="Reset"/>.</summary>
    internal ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>Gets the bytes written since the last <see cref="Reset"/>, to fill in a part reserved earlier.</summary>
    internal Span<byte> Written => _buffer.AsSpan(0, _written);

    /// <summary>Gets the size of the current buffer.</summary>
    internal int Capacity => _buffer.Length;

    public void Advance(int count)
    {
        if (count < 0 || count > _buffer.Length - _written)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Cannot advance past the end of the buffer.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Forgets what was written, keeping the buffer.</summary>
    internal void Reset() => _written = 0;

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void EnsureRoom(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        int capacity = (int)Math.Min(Array.MaxLength, Math.Max((long)_buffer.Length * 2, (long)_written + needed));
        if (capacity - _written < needed)
        {
            throw new OutOfMemoryException($"A cache value cannot exceed {Array.MaxLength} bytes.");
        }

        byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, MinimumCapacity));
        _buffer.AsSpan(0, _written).CopyTo(grown);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = grown;
    }
}
