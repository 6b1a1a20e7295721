namespace Windsock.Client.Routing;

/// <summary>What a routing rule does with a destination it matches.</summary>
public enum RouteAction
{
    /// <summary>Refuse: nothing is sent anywhere.</summary>
    Deny,

    /// <summary>Connect straight to the destination, without a proxy.</summary>
    Direct,

    /// <summary>Connect through the rule's proxies, trying the next when one cannot be reached.</summary>
    Via,
}
