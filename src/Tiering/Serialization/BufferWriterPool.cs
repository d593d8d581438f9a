using Microsoft.Extensions.ObjectPool;

namespace Strata.Tiering;

/// <summary>
/// Reuses <see cref="PooledBufferWriter"/>s across calls. A writer that grew past <see cref="MaxRetainedCapacity"/>
/// (one unusually large value) is not kept, so one big write does not pin a big buffer for the life of the process.
/// </summary>
internal static class BufferWriterPool
{
    internal const int MaxRetainedCapacity = 1024 * 1024;

    private static readonly ObjectPool<PooledBufferWriter> s_pool =
        new DefaultObjectPoolProvider { MaximumRetained = 64 }.Create(new Policy());

    internal static PooledBufferWriter Rent() => s_pool.Get();

    internal static void Return(PooledBufferWriter writer) => s_pool.Return(writer);

    private sealed class Policy : PooledObjectPolicy<PooledBufferWriter>
    {
        public override PooledBufferWriter Create() => new();

        public override bool Return(PooledBufferWriter obj)
        {
            if (obj.Capacity > MaxRetainedCapacity)
            {
                obj.Dispose();
                return false;
            }

            obj.Reset();
            return true;
        }
    }
}
