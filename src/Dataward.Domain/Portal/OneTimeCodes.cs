namespace Dataward.Domain.Portal;

/// <summary>CNS019: the one-time codes that prove a person controls an e-mail address: six digits, ten minutes,
/// five tries, used once.</summary>
public static class OneTimeCodes
{
    public const int Digits = 6;
    public const int MaxAttempts = 5;
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    /// <summary>How long a code's row stays after it was made: long enough to explain why a late or reused code fails.</summary>
    public static readonly TimeSpan KeptFor = TimeSpan.FromDays(1);

    /// <summary>Codes sent to one address for one use per hour; beyond that the answer looks the same and no message
    /// goes out, so nobody can flood an inbox through the form.</summary>
    public const int MaxPerHour = 5;

    /// <summary>What people type, without the spaces and hyphens they add when copying a code.</summary>
    public static string Normalise(string? typed) =>
        new((typed ?? "").Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray());

    public static bool IsWellFormed(string code) => code.Length == Digits && code.All(char.IsAsciiDigit);

    /// <summary>How many tries are left after <paramref name="failedAttempts"/> wrong ones.</summary>
    public static int AttemptsLeft(int failedAttempts) => Math.Max(0, MaxAttempts - failedAttempts);
}
