using System;
using System.Reflection;
using System.Runtime.ExceptionServices;

namespace Strata.Tiering.Tests.Support;

/// <summary>
/// An implementation of <typeparamref name="T"/> that forwards every call to a real one, except where
/// <c>call</c> decides otherwise: a test injects one fault into an interface as large as a Redis connection without
/// faking the rest of it.
/// </summary>
public class Forwarder<T> : DispatchProxy
    where T : class
{
    private T _target = null!;
    private Func<MethodInfo, object?[]?, Func<object?>, object?> _call = null!;

    /// <param name="target">What the calls reach.</param>
    /// <param name="call">Given each call's method, its arguments and a function that forwards it; returns its result.</param>
    public static T Create(T target, Func<MethodInfo, object?[]?, Func<object?>, object?> call)
    {
        T proxy = Create<T, Forwarder<T>>();
        var forwarder = (Forwarder<T>)(object)proxy;
        forwarder._target = target;
        forwarder._call = call;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        MethodInfo method = targetMethod!;
        return _call(method, args, () => Forward(method, args));
    }

    private object? Forward(MethodInfo method, object?[]? args)
    {
        try
        {
            return method.Invoke(_target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw; // not reached
        }
    }
}
