namespace Windsock.Server.Limits;

/// <summary>The outcome of taking a limited slot: a lease to dispose when done, or which limit refused and why.</summary>
/// <param name="Lease">Null when refused.</param>
/// <param name="Limit">The refusing limit's name, as the configuration spells it (<c>sessions_per_user</c>); null when admitted.</param>
/// <param name="Refusal">The reason for the request log, e.g. <c>limit sessions_per_user=20 reached for alice</c>.</param>
/// <param name="FirstRefusal">The first refusal of this key since it last held nothing: the diagnostic log says it once.</param>
public readonly record struct LimitAdmission(IDisposable? Lease, string? Limit, string? Refusal, bool FirstRefusal)
{
    public static LimitAdmission Refuse(string limit, string reason, bool first) => new(null, limit, reason, first);
}
