namespace Windsock.Client.Routing;

/// <summary>The routing file denies this destination: nothing was sent anywhere.</summary>
public sealed class RouteDeniedException : IOException
{
    /// <summary>An exception with a generic message: a destination is denied.</summary>
    public RouteDeniedException()
        : this("The routing file denies this destination.")
    {
    }

    /// <summary>An exception with <paramref name="message"/>.</summary>
    /// <param name="message">What went wrong.</param>
    public RouteDeniedException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="innerException"/>.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, or null.</param>
    public RouteDeniedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal RouteDeniedException(Route route, string destination)
        : base($"{destination} is denied by {route.Origin}.")
    {
        Route = route;
        Destination = destination;
    }

    /// <summary>The deciding route (its <see cref="Route.Origin"/> names the rule).</summary>
    public Route? Route { get; }

    /// <summary>host:port as asked for.</summary>
    public string? Destination { get; }
}
