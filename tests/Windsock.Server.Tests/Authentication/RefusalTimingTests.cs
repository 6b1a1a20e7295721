using System.Diagnostics;
using System.Globalization;
using System.Net;
using Windsock.Server.Authentication;
using Windsock.Server.Authentication.Pam;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

/// <summary>
/// users_file and pam_service together, against the host's real PAM stack (pam_unix and its 2 s failure
/// delay): the time to refuse a wrong password must not tell which back end holds the name. Before the
/// fix a users-file refusal took the PBKDF2 time (milliseconds with the tests' fast hasher, about 0.1 s in
/// production) and a PAM refusal about 2 s.
/// </summary>
public sealed class RefusalTimingTests
{
    private static readonly PasswordHasher FastHasher = new(iterations: 1000);

    /// <summary>Rounds of the four cases, <see cref="PerRound"/> attempts of each at once: about 3 s a round.</summary>
    private const int Rounds = 8;

    private const int PerRound = 4;

    /// <summary>
    /// How far the users file's median (64 refusals) may be from PAM's (64), as a fraction of PAM's. libpam
    /// randomizes pam_unix's 2 s delay (measured here: 1.3 s to 2.9 s), so two medians of 64 draws from one
    /// distribution differ by about 0.18 s (one standard deviation); 30% of 1.8 s is three of them. Before
    /// the fix the difference was the whole delay (100%).
    /// </summary>
    private const double Tolerance = 0.30;

    /// <summary>Each case's own median (32 refusals) against PAM's: noisier, so a looser bound (still far below 100%).</summary>
    private const double CaseTolerance = 0.45;

    [Fact]
    public async Task A_wrong_password_takes_as_long_whether_the_name_is_in_the_users_file_only_in_pam_or_nowhere()
    {
        SystemAccount.SkipUnlessPossible();
        await using var both = await SystemAccount.CreateAsync();
        await using var pamOnly = await SystemAccount.CreateAsync();
        const string FileOnly = "wsk-file-only-1929";
        UserStore users = UserFile.Parse(
            $"{both.Name}:{FastHasher.Hash("file-password-1929")}\n{FileOnly}:{FastHasher.Hash("file-password-1929")}\n", "users", FastHasher);
        var verifier = new UserFileThenPamVerifier(users, users, new PamCredentialVerifier(SystemAccount.ServiceWithoutFile, TimeProvider.System));

        var cases = new (string Name, string User)[]
        {
            ("in the users file and a system account", both.Name),
            ("in the users file only", FileOnly),
            ("a system account only (PAM)", pamOnly.Name),
            ("unknown to both (PAM)", "wsk-nobody-1929"),
        };
        var times = cases.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < Rounds; round++)
        {
            var attempts = cases.SelectMany((c, i) => Enumerable.Repeat((c, i), PerRound)).Select(async attempt =>
            {
                var (c, i) = attempt;
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var clock = Stopwatch.StartNew();
                var verdict = await verifier.VerifyAsync(c.User, "wrong-password-1929", IPAddress.Loopback, bound.Token);
                clock.Stop();
                Assert.False(verdict.Accepted, c.Name);
                lock (times)
                {
                    times[i].Add(clock.Elapsed.TotalSeconds);
                }
            });
            await Task.WhenAll(attempts);
        }

        double pamMedian = Median(times[2].Concat(times[3]));
        double fileMedian = Median(times[0].Concat(times[1]));
        var report = string.Join("\n", cases.Select((c, i) => string.Create(CultureInfo.InvariantCulture,
            $"{c.Name}: median {Median(times[i]):0.000}s, min {times[i].Min():0.000}s, max {times[i].Max():0.000}s")));
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.True(Math.Abs(fileMedian - pamMedian) <= Tolerance * pamMedian,
            string.Create(CultureInfo.InvariantCulture, $"users file median {fileMedian:0.000}s against PAM's {pamMedian:0.000}s (tolerance {Tolerance:P0})\n{report}"));
        for (int i = 0; i < cases.Length; i++)
        {
            double median = Median(times[i]);
            Assert.True(Math.Abs(median - pamMedian) <= CaseTolerance * pamMedian,
                string.Create(CultureInfo.InvariantCulture, $"{cases[i].Name}: median {median:0.000}s against PAM's {pamMedian:0.000}s (tolerance {CaseTolerance:P0})\n{report}"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
