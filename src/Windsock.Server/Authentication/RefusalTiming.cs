namespace Windsock.Server.Authentication;

/// <summary>
/// How long PAM takes to refuse a password, learnt from its recent refusals, so that a refusal by the
/// users file can take as long. PAM's refusals are slow on purpose (pam_unix asks for a 2 s delay, and
/// libpam randomizes it: 1.3 s to 2.9 s measured on Debian); PBKDF2 takes about 0.1 s. Without this, the time
/// to a "wrong password" tells a guesser whether the name is in the users file. A file refusal waits
/// until a duration drawn from the recorded PAM refusals has passed, so the two follow one distribution,
/// not only one average.
/// </summary>
internal sealed class RefusalTiming
{
    /// <summary>Recent PAM refusals kept: enough to follow a change of the PAM stack, few enough to cost nothing.</summary>
    private const int Kept = 32;

    /// <summary>Before PAM refused anyone: pam_unix's default delay, drawn from half to one and a half of it, as libpam's randomization spreads it.</summary>
    public static readonly TimeSpan ColdDelay = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private readonly TimeSpan[] _pam = new TimeSpan[Kept];
    private int _count;
    private int _next;

    public void RecordPamRefusal(TimeSpan took)
    {
        lock (_gate)
        {
            _pam[_next] = took;
            _next = (_next + 1) % Kept;
            _count = Math.Min(_count + 1, Kept);
        }
    }

    /// <summary>How long a refusal by the users file should take in all (a random draw; its own work counts toward it).</summary>
    public TimeSpan DrawRefusalTime()
    {
        lock (_gate)
        {
            if (_count > 0)
            {
                return _pam[Random.Shared.Next(_count)];
            }
        }

        return ColdDelay * (0.5 + Random.Shared.NextDouble());
    }
}
