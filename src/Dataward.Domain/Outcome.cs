namespace Dataward.Domain;

/// <summary>A rule that input broke: the field at fault, a readable message and, where the spec numbers it, the rule id.</summary>
public sealed record Violation(string Field, string Message, string? RuleId = null);

/// <summary>Why an operation did not happen; each maps to one HTTP status and one CLI exit code.</summary>
public enum FailureKind
{
    /// <summary>The input broke a rule (400).</summary>
    Invalid,
    /// <summary>The thing does not exist (404).</summary>
    NotFound,
    /// <summary>A duplicate, or the thing is in a state that forbids the operation (409).</summary>
    Conflict,
    /// <summary>The rule reserves this to another role, e.g. the DPO's sign-off (403).</summary>
    Forbidden,
}

/// <summary>The result of a use case: a value, or the violations that stopped it. Rules return these rather than
/// throwing, so endpoints, pages and CLI verbs can each say what went wrong in their own way.</summary>
public sealed class Outcome<T>
{
    private Outcome(T? value, FailureKind? failure, IReadOnlyList<Violation> violations)
    {
        Value = value;
        Failure = failure;
        Violations = violations;
    }

    public T? Value { get; }

    public FailureKind? Failure { get; }

    public IReadOnlyList<Violation> Violations { get; }

    public bool Succeeded => Failure is null;

    public static Outcome<T> Success(T value) => new(value, null, []);

    public static Outcome<T> Fail(FailureKind kind, params Violation[] violations) => new(default, kind, violations);

    public static Outcome<T> Invalid(string field, string message, string? ruleId = null) =>
        Fail(FailureKind.Invalid, new Violation(field, message, ruleId));

    public static Outcome<T> NotFound(string field, string message) => Fail(FailureKind.NotFound, new Violation(field, message));

    public static Outcome<T> Conflict(string field, string message, string? ruleId = null) =>
        Fail(FailureKind.Conflict, new Violation(field, message, ruleId));

    /// <summary>The violations as one readable sentence per line, for the CLI and pages.</summary>
    public string Describe() => string.Join(Environment.NewLine, Violations.Select(v =>
        v.RuleId is null ? $"{v.Field}: {v.Message}" : $"{v.Field}: {v.Message} ({v.RuleId})"));
}
