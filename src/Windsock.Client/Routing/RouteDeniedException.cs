namespace Windsock.Client.Routing;

/// <summary>The routing file denies this destination: nothing was sent anywhere.</summary>
public sealed class RouteDeniedException : IOException
{
    public RouteDeniedException()
        : this("The routing file denies this destination.")
    {
    }

    public RouteDeniedException(string message)
        : base(message)
    {
    }

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
