namespace Strata.Tiering;

/// <summary>What reading an L2 envelope found. Anything but <see cref="Ok"/> is a counted miss, never an exception.</summary>
internal enum EnvelopeStatus
{
    Ok,
    Truncated,
    BadMagic,
    UnsupportedVersion,
    UnsupportedFlags,
    OtherSerializer,
    WrongType,
    BadPayload,
}
