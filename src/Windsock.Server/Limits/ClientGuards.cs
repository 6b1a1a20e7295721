using Windsock.Server.Authentication;
using Windsock.Server.Configuration;

namespace Windsock.Server.Limits;

/// <summary>
/// The state behind <see cref="ClientLimits"/>: what each source holds now and its recent failed
/// logins. One instance lives as long as the server: a reload hands it to the next context, so that
/// neither a count nor a throttle starts again from zero.
/// </summary>
public sealed class ClientGuards
{
    public ClientGuards(ClientLimits limits, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(limits);
        Limits = limits;
        Unauthenticated = new PerSourceCounter("unauthenticated_per_source", limits.UnauthenticatedPerSource);
        Binds = new PerSourceCounter("bind_per_source", limits.BindPerSource);
        Logins = new LoginThrottle(time, limits.Logins);
    }

    public ClientLimits Limits { get; }

    /// <summary>Sessions from accept until the request is read.</summary>
    public PerSourceCounter Unauthenticated { get; }

    /// <summary>Open BIND listeners.</summary>
    public PerSourceCounter Binds { get; }

    /// <summary>Failed logins per source and user name.</summary>
    public LoginThrottle Logins { get; }
}
