using System;

namespace Strata.Testing;

/// <summary>
/// A check of the test support failed: a condition never held, an allocation was seen. Thrown rather than an xunit
/// assertion so that the fuzz project, which has no test framework, can use the same helpers; a test framework reports
/// it as a failure like any other exception.
/// </summary>
public sealed class CheckFailedException(string message) : Exception(message);
